import { dictionary } from '@zxcvbn-ts/language-common';
import { codePoints } from './fields';

/**
 * What NIST SP 800-63B section 3.1.1.2 asks of a new password:
 * not a value known to be commonly used or breached, and not a context-specific
 * word such as the username. No composition rules, no forced rotation.
 *
 * The blocklist is zxcvbn-ts's common-password list (about 49,000 entries drawn
 * from breach corpora, ordered by frequency; the package is maintained and MIT
 * licensed). Only the entries that could pass the length rule matter, about 18,000.
 */
/** Length in code points (NIST: at least 8; accept at least 64, we take 256). */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
let blocklist: Set<string> | undefined;

function commonPasswords(): Set<string> {
  blocklist ??= new Set(dictionary['passwords-common'].filter((entry) => codePoints(entry) >= PASSWORD_MIN).map((entry) => entry.toLowerCase()));
  return blocklist;
}

/** Case-insensitive: "Password1" is as guessable as "password1". */
export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.toLowerCase());
}

/** Case-insensitive: "Alice2024!" contains "alice". */
export function containsUsername(password: string, username: string): boolean {
  return username.length > 0 && password.toLowerCase().includes(username.toLowerCase());
}
