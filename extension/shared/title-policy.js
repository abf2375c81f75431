/**
 * A page's title without the record it is about. A record's page names the record in its main
 * heading and repeats it in the title ("Hortensia Blackwood · Contacts · Acme CRM" under
 * <h1>Hortensia Blackwood</h1>); the title is sent with every event, so that name would leave
 * with each of them. Where a main heading's text does not have the shape of UI vocabulary
 * (label-policy.js, looksLikeVocabulary: "Open invoices" does, "Hortensia Blackwood" does not) or,
 * in one word, is not a page's name (PAGE_WORDS: "Contacts" is, "Initech" is not), each place the
 * title repeats it becomes "[content]". Pure: the caller reads the headings (content/capture.js,
 * mainHeadings).
 */
import { CONTENT_LABEL, looksLikeVocabulary } from "./label-policy.js";

/** A heading's text is looked for in the title only up to this length. */
export const MAX_HEADING_CHARS = 200;

/**
 * What a one-word main heading names when it names a page, not a record: "Contacts", "Inbox",
 * "todos". A record's page may be headed by one word too ("Initech", "Hortensia", "Phoenix"), so
 * any other one-word heading is taken for a record's name in the title. Singular or plural; not
 * every page name, only common ones (another reads "[content]" in the title, which costs meaning,
 * not privacy: the address and the observation still say which page it is).
 */
const PAGE_WORDS = new Set(`about access account accounts activity admin administration agenda alert
  analytics announcement answer app application approval archive article asset attachment audit
  automation backlog balance billing blog board bookmark budget build calendar campaign cart
  catalog catalogue channel chat checkout claim client code comment company compose configuration
  connection console contact content contract conversation cost course customer dashboard data
  deal default delivery department deployment design detail develop device directory discover
  discussion document download draft edit editor employee environment error event expense explore
  export favorite favourite feature feed feedback file filter finance folder form general goal
  group help history home import inbox incident integration inventory invoice issue item job
  kanban knowledge lead learning library license list log login logout mail marketing meeting
  member message metric milestone new note notification offer okr onboarding opportunity order
  organisation organization outbox overview page partner password payment payroll people
  permission person pipeline plan planning policy portal post preference preview pricing product
  profile project purchase query question queue quote recent record release reply report request
  resource review roadmap role rule sale schedule search security sent service setting settings
  setup share shipment sign signin signup space spam sprint starred start status subscription
  summary supplier support survey system tag task team template terminal ticket timeline timesheet
  todo todos tool tracker training trash upload usage user vendor view welcome wiki workflow
  workspace`.split(/\s+/));

/** Whether a one-word heading names a page (PAGE_WORDS, also in the plural). */
function namesAPage(word) {
  const bare = word.replace(/[^\p{L}\p{N}]/gu, "").toLowerCase();
  return [bare, bare.replace(/s$/, ""), bare.replace(/es$/, ""), bare.replace(/ies$/, "y")].some((w) => PAGE_WORDS.has(w));
}

/** Whether a main heading's text is UI vocabulary: several words with its shape, or a page's name. */
const isVocabulary = (name) => (name.includes(" ") ? looksLikeVocabulary(name) : namesAPage(name));

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
    .filter((name) => name.length >= 2 && name.length <= MAX_HEADING_CHARS && !isVocabulary(name))
    .sort((a, b) => b.length - a.length); // the longest first: "Acme Corp renewal" before "Acme Corp"
  for (const name of names) {
    // Whole words only: a heading "Cal" is not looked for inside "Calendar".
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(name).replace(/ /g, "\\s+")}(?![\\p{L}\\p{N}])`, "giu");
    out = out.replace(pattern, CONTENT_LABEL);
  }
  return out;
}
