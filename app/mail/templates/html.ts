/** Text made safe to place in HTML, as element content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A whole duration the way a mail says it: "24 hours", "30 minutes", "1 day". */
export function describeDuration(seconds: number): string {
  const units: Array<[string, number]> = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) {
    // "48 hours" reads better than "2 days" for a link's lifetime; whole days only past two.
    if (seconds % size === 0 && (unit !== 'day' || seconds > 2 * 86_400)) {
      const count = seconds / size;
      return `${count} ${unit}${count === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}

/** A mail's three parts: a plain Subject line, then the same message as plain text and as HTML. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

/** The HTML around a mail's paragraphs: no images, no scripts, no external resources. */
export const htmlDocument = (paragraphs: string[]): string =>
  `<!doctype html>\n<html><body>\n${paragraphs.map((p) => `<p>${p}</p>`).join('\n')}\n</body></html>\n`;
