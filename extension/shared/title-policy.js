/**
 * A page's title without the record it is about. A record's page names the record in its main
 * heading and repeats it in the title ("Hortensia Blackwood · Contacts · Acme CRM" under
 * <h1>Hortensia Blackwood</h1>); the title is sent with every event, so that name would leave
 * with each of them. Where a main heading's text does not have the shape of UI vocabulary
 * (label-policy.js, looksLikeVocabulary: "Contacts" and "Open invoices" do, "Hortensia Blackwood"
 * does not), each place the title repeats it becomes "[content]". Pure: the caller reads the
 * headings (content/capture.js, mainHeadings).
 */
import { CONTENT_LABEL, looksLikeVocabulary } from "./label-policy.js";

/** A heading's text is looked for in the title only up to this length. */
export const MAX_HEADING_CHARS = 200;

const squeeze = (text) => String(text || "").replace(/\s+/g, " ").trim();
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * `title` with each main heading text it holds (`headings`: texts of the page's level-one
 * headings, and of their own text apart from controls inside them) that is not UI vocabulary
 * replaced by "[content]", compared without regard to case or runs of white space.
 */
export function titleWithoutRecords(title, headings) {
  let out = String(title);
  const names = [...new Set(headings.map(squeeze))]
    .filter((name) => name.length >= 2 && name.length <= MAX_HEADING_CHARS && !looksLikeVocabulary(name))
    .sort((a, b) => b.length - a.length); // the longest first: "Acme Corp renewal" before "Acme Corp"
  for (const name of names) {
    const pattern = new RegExp(escapeRegExp(name).replace(/ /g, "\\s+"), "giu");
    out = out.replace(pattern, CONTENT_LABEL);
  }
  return out;
}
