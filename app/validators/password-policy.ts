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
/** Length in code points of the NFKC form (NIST: at least 8; accept at least 64, we take 256). */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
let blocklist: Set<string> | undefined;

/**
 * The form a password is hashed, verified and judged in: Unicode NFKC, as NIST SP
 * 800-63B section 5.1.1.2 asks, so "é" typed as one code point or as e + a combining
 * accent, or "Ａ" from a fullwidth keyboard, is the same password as its plain form.
 */
export const normalizePassword = (password: string): string => password.normalize('NFKC');

/** A new password's length: that of the form that gets hashed. */
export const passwordLength = (password: string): number => codePoints(normalizePassword(password));

function commonPasswords(): Set<string> {
  blocklist ??= new Set(dictionary['passwords-common'].filter((entry) => codePoints(entry) >= PASSWORD_MIN).map((entry) => entry.toLowerCase()));
  return blocklist;
}

/*
 * Both checks judge the NFKC form, because that is what is hashed and what logs in:
 * "ｐａｓｓｗｏｒｄ１２３" in fullwidth letters IS "password123" at login, so it is
 * exactly as guessable, and "my-ａｌｉｃｅ" contains the username "alice".
 */

/** Case-insensitive: "Password1" is as guessable as "password1". */
export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(normalizePassword(password).toLowerCase());
}

/** Case-insensitive: "Alice2024!" contains "alice". */
export function containsUsername(password: string, username: string): boolean {
  return username.length > 0 && normalizePassword(password).toLowerCase().includes(username.toLowerCase());
}
