import { body, ContextRunner, ValidationChain } from 'express-validator';

/** Length in Unicode code points, as NIST SP 800-63B counts passwords (never UTF-16 units). */
export const codePoints = (text: string): number => [...text].length;

// In a /u regex a proper surrogate pair is one code point, so only a lone half matches.
const LONE_SURROGATE = /\p{Surrogate}/u;

interface StringRule {
  min: number;
  max: number;
  /** How the length is counted; code points unless said (a password counts its NFKC form). */
  length?: (value: string) => number;
  optional?: boolean;
  /** Validate only when this condition chain passes (for example, one grant type). */
  when?: ContextRunner;
  pattern?: RegExp;
  patternMessage?: string;
}

/**
 * A body field that must be a string (not an array, object or number: the
 * standard validators check arrays element by element, which is not what we want)
 * with its length counted in code points, and well-formed Unicode. Values are never trimmed: a password's
 * spaces are part of it.
 */
export function stringField(name: string, rule: StringRule): ValidationChain {
  const chain = rule.when ? body(name).if(rule.when) : body(name);
  const head = rule.optional ? chain.optional({ values: 'undefined' }) : chain.exists().withMessage(`${name} is required`).bail();
  return head
    .custom((value) => typeof value === 'string')
    .withMessage(`${name} must be a string`)
    .bail()
    // A lone UTF-16 surrogate is not text: argon2 would hash it as U+FFFD, and some
    // validators (isEmail) throw on it. Refuse it here, once, for every field.
    .custom((value: string) => !LONE_SURROGATE.test(value))
    .withMessage(`${name} must be valid Unicode text`)
    .bail()
    .custom((value: string) => {
      const length = (rule.length ?? codePoints)(value);
      return length >= rule.min && length <= rule.max;
    })
    .withMessage(`${name} must be ${rule.min} to ${rule.max} characters long`)
    .bail()
    .custom((value: string) => !rule.pattern || rule.pattern.test(value))
    .withMessage(rule.patternMessage ?? `${name} has an invalid format`);
}
