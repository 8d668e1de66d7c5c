// Hash routes: "#/groups?realm=us/retail/4" → the "groups" view with {realm: "us/retail/4"}. One view is
// mounted at a time; leaving it aborts its fetches and removes its event listeners.

export function parseHash(hash = location.hash) {
  const text = hash.replace(/^#\/?/, "");
  const [name, query = ""] = text.split("?");
  return { name: name || "", params: Object.fromEntries(new URLSearchParams(query)) };
}

export function href(name, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== ""));
  const text = query.toString();
  return `#/${name}${text ? `?${text}` : ""}`;
}

export function go(name, params = {}) {
  const next = href(name, params);
  if (location.hash !== next) location.hash = next;
}

/** Change the params of the current route without remounting (the view already shows them). */
export function setParams(params) {
  const { name } = parseHash();
  history.replaceState(null, "", href(name, params));
}

export class Router {
  constructor(views, { fallback, mount }) {
    this.views = views; // name → {title, mount(root, ctx)}
    this.fallback = fallback;
    this.mountView = mount;
    window.addEventListener("hashchange", () => this.show());
  }

  show() {
    const { name, params } = parseHash();
    const key = this.views[name] ? name : this.fallback(name);
    if (key !== name) {
      history.replaceState(null, "", href(key, params));
    }
    this.mountView(key, this.views[key], params);
  }
}
