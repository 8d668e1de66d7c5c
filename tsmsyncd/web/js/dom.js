// Tiny element helpers. Nodes are built, text is set with textContent: no HTML string ever holds data
// (and the CSP forbids inline styles and handlers anyway: styles are classes or element.style).

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    else if (key === "text") node.textContent = String(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "value" && "value" in node) node.value = value;
    else if (key === "checked" || key === "disabled" || key === "selected" || key === "readOnly") node[key] = !!value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** h("button", {class: "primary", onclick: fn}, "Apply") → a <button>. */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs && (attrs instanceof Node || typeof attrs !== "object" || Array.isArray(attrs))) children.unshift(attrs);
  else apply(node, attrs);
  return append(node, children);
}

/** The same for SVG elements (the market chart). */
export function s(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.setAttribute("class", value);
    else if (key === "text") node.textContent = String(value);
    else node.setAttribute(key, String(value));
  }
  return append(node, children);
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

export function replace(node, ...children) {
  clear(node);
  return append(node, children);
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** A button that is a <button>: keyboard and screen readers get it for free. */
export function button(label, onclick, opts = {}) {
  return h("button", { type: "button", class: opts.class || "", onclick, title: opts.title, disabled: opts.disabled,
    "aria-label": opts.label, dataset: opts.dataset }, label);
}

/** While `work` runs, the button is busy (disabled, with a spinner). Returns work's result. */
export async function busy(btn, work) {
  btn.disabled = true;
  btn.classList.add("busy");
  btn.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    btn.disabled = false;
    btn.classList.remove("busy");
    btn.removeAttribute("aria-busy");
  }
}

let uid = 0;
export function newId(prefix = "f") {
  uid += 1;
  return `${prefix}-${uid}`;
}
