/**
 * The text of an HTML error page, for an excerpt, in one left-to-right scan (the page comes from the remote side:
 * no regular expression here can backtrack over it). Tags and comments become spaces, the content of `script`,
 * `style` and `head` is dropped, and the common entities are decoded. An unterminated tag, comment or element ends
 * the text: what follows it is markup, not a message. Text without tags comes back unchanged.
 */

const TAG_START = /<[a-z!/]/gi;
/** Elements whose content is never part of the message. */
const DROPPED_ELEMENTS = new Set(['script', 'style', 'head']);
const ENTITY = /&(nbsp|lt|gt|quot|#39|apos|amp);/gi;
const ENTITIES: Record<string, string> = {
  nbsp: ' ',
  lt: '<',
  gt: '>',
  quot: '"',
  '#39': "'",
  apos: "'",
  amp: '&',
};

/** `text` with ASCII letters lower-cased, keeping every index (String#toLowerCase may change lengths). */
const asciiLower = (text: string) => text.replace(/[A-Z]+/g, (run) => run.toLowerCase());

function nextTagStart(text: string, from: number): number {
  TAG_START.lastIndex = from;
  return TAG_START.exec(text)?.index ?? -1;
}

/** The letters after `<` at `at`, lower-cased. */
function tagName(lower: string, at: number): string {
  let end = at + 1;
  while (end < lower.length && lower.charCodeAt(end) >= 97 && lower.charCodeAt(end) <= 122) end++;
  return lower.slice(at + 1, end);
}

/** Where the markup that starts at `open` ends (the index after it), or -1 when it never does. */
function endOfMarkup(text: string, lower: string, open: number): number {
  if (text.startsWith('<!--', open)) {
    const end = text.indexOf('-->', open + 4);
    return end < 0 ? -1 : end + 3;
  }
  const close = text.indexOf('>', open);
  if (close < 0) return -1;
  const name = tagName(lower, open);
  if (!DROPPED_ELEMENTS.has(name)) return close + 1;
  const closing = lower.indexOf(`</${name}`, close + 1);
  const closingEnd = closing < 0 ? -1 : text.indexOf('>', closing);
  return closingEnd < 0 ? -1 : closingEnd + 1;
}

export function stripHtml(text: string): string {
  const first = nextTagStart(text, 0);
  if (first < 0 || text.indexOf('>', first) < 0) return text;
  const lower = asciiLower(text);
  const parts: string[] = [];
  let at = 0;
  for (let open = first; open >= 0; open = nextTagStart(text, at)) {
    parts.push(text.slice(at, open), ' ');
    at = endOfMarkup(text, lower, open);
    if (at < 0) break;
  }
  if (at >= 0) parts.push(text.slice(at));
  return parts.join('').replace(ENTITY, (_, name: string) => ENTITIES[name.toLowerCase()] as string);
}
