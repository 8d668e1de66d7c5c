// How numbers, money and times read on the page. Money arrives as integer copper, always.
import { h } from "./dom.js";

const NUMBER = new Intl.NumberFormat();

export function num(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: digits }).format(value);
}

export function int(value) {
  return value === null || value === undefined ? "—" : NUMBER.format(Math.round(value));
}

/** 123456 → "12g 34s 56c" (text). */
export function moneyText(copper) {
  if (copper === null || copper === undefined || !Number.isFinite(copper)) return "—";
  const sign = copper < 0 ? "−" : "";
  const total = Math.round(Math.abs(copper));
  const g = Math.floor(total / 10000), sv = Math.floor((total % 10000) / 100), c = total % 100;
  if (g) return `${sign}${NUMBER.format(g)}g ${sv}s ${c}c`;
  if (sv) return `${sign}${sv}s ${c}c`;
  return `${sign}${c}c`;
}

/** The same as nodes, each unit in WoW's coin colour. */
export function money(copper) {
  if (copper === null || copper === undefined || !Number.isFinite(copper)) return h("span", { class: "money" }, "—");
  const total = Math.round(Math.abs(copper));
  const g = Math.floor(total / 10000), sv = Math.floor((total % 10000) / 100), c = total % 100;
  const parts = [];
  if (g) parts.push(h("span", { class: "coin gold" }, `${NUMBER.format(g)}g`));
  if (g || sv) parts.push(h("span", { class: "coin silver" }, `${sv}s`));
  parts.push(h("span", { class: "coin copper" }, `${c}c`));
  const node = h("span", { class: "money", title: `${NUMBER.format(copper)} copper` }, copper < 0 ? "−" : "");
  parts.forEach((p, i) => node.append(...(i ? [" ", p] : [p])));
  return node;
}

export function parseTime(value) {
  if (!value) return null;
  const when = new Date(value);
  return Number.isNaN(when.getTime()) ? null : when;
}

export function dateTime(value) {
  const when = parseTime(value);
  if (!when) return "—";
  return when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function shortTime(value) {
  const when = parseTime(value);
  if (!when) return "—";
  return when.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** "3 min ago" / "in 12 min", from now. */
export function relative(value, now = Date.now()) {
  const when = parseTime(value);
  if (!when) return "never";
  const seconds = Math.round((when.getTime() - now) / 1000);
  const ahead = seconds > 0, abs = Math.abs(seconds);
  let text;
  if (abs < 45) return ahead ? "in a moment" : "just now";
  if (abs < 3600) text = `${Math.round(abs / 60)} min`;
  else if (abs < 86400) text = `${Math.round(abs / 3600)} h`;
  else text = `${Math.round(abs / 86400)} days`;
  return ahead ? `in ${text}` : `${text} ago`;
}

/** A <time> that says "3 min ago" and shows the exact time on hover. */
export function ago(value) {
  const when = parseTime(value);
  if (!when) return h("span", { class: "muted" }, "never");
  return h("time", { datetime: when.toISOString(), title: dateTime(value), class: "rel" }, relative(value));
}

export function bytes(size) {
  if (size === null || size === undefined) return "—";
  if (size < 1024) return `${size} B`;
  if (size < 1024 ** 2) return `${num(size / 1024, 1)} KB`;
  return `${num(size / 1024 ** 2, 1)} MB`;
}

export function plural(count, one, many = `${one}s`) {
  return `${int(count)} ${count === 1 ? one : many}`;
}

/** The last part of a path, for a compact label (the full path goes in a title). */
export function baseName(path) {
  const parts = String(path || "").split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] || String(path || "");
}

/** ".../WTF/Account/ACC/SavedVariables/TradeSkillMaster.lua" → "_retail_ · ACC". */
export function fileLabel(path) {
  const parts = String(path || "").split(/[\\/]/);
  const acc = parts.lastIndexOf("Account");
  if (acc > 0 && parts[acc + 1]) return `${parts[acc - 2] || ""} · ${parts[acc + 1]}`.replace(/^ · /, "");
  return baseName(path);
}

/** "TSM Sync`Flips`High Volume" → "TSM Sync › Flips › High Volume". */
export function groupPath(path) {
  const parts = Array.isArray(path) ? path : String(path).split("`");
  return parts.join(" › ");
}

export const FLAVORS = { retail: "Retail", classic: "Classic", "classic-era": "Classic Era" };
export function flavorName(flavor) {
  return FLAVORS[flavor] || flavor || "";
}

// Blizzard's quality names as the daemon stores them, and their numbers (the item colours of the game)
const QUALITY_NUMBERS = { POOR: 0, COMMON: 1, UNCOMMON: 2, RARE: 3, EPIC: 4, LEGENDARY: 5, ARTIFACT: 6, HEIRLOOM: 7 };

/** "EPIC" or 4 → "quality-4" (the class that colours an item's name); "" when unknown. */
export function qualityClass(quality) {
  const number = typeof quality === "number" ? quality : QUALITY_NUMBERS[String(quality || "").toUpperCase()];
  return Number.isInteger(number) ? `quality-${number}` : "";
}

/** gold, silver, copper → copper (blank counts as 0). */
export function toCopper(gold, silver, copper) {
  const part = (v) => (v === "" || v === null || v === undefined ? 0 : Number(v));
  return Math.round(part(gold) * 10000 + part(silver) * 100 + part(copper));
}

/** copper → [gold, silver, copper]. */
export function fromCopper(total) {
  const value = Math.max(0, Math.round(Number(total) || 0));
  return [Math.floor(value / 10000), Math.floor((value % 10000) / 100), value % 100];
}

// Blizzard's item class ids (the item-class index of the Game Data API), for the class the market shows
const ITEM_CLASSES = {
  0: "Consumable", 1: "Container", 2: "Weapon", 3: "Gem", 4: "Armor", 5: "Reagent", 6: "Projectile", 7: "Tradeskill",
  8: "Item Enhancement", 9: "Recipe", 11: "Quiver", 12: "Quest", 13: "Key", 15: "Miscellaneous", 16: "Glyph",
  17: "Battle Pets", 18: "WoW Token", 19: "Profession",
};

/** 7 → "Tradeskill"; a name given as text stays as it is; null when unknown. */
export function itemClassName(itemClass) {
  if (itemClass === null || itemClass === undefined || itemClass === "") return null;
  if (typeof itemClass === "string" && !/^\d+$/.test(itemClass)) return itemClass;
  return ITEM_CLASSES[Number(itemClass)] || `Class ${itemClass}`;
}
