import { randomInt } from 'node:crypto';
import { UsageError } from '../errors.ts';

const ADJECTIVES = [
  'amber', 'bold', 'brisk', 'calm', 'clever', 'crisp', 'dusty', 'eager', 'fancy', 'gentle', 'golden',
  'happy', 'hidden', 'jolly', 'keen', 'lively', 'lucky', 'mellow', 'misty', 'nimble', 'polite', 'proud',
  'quiet', 'rapid', 'rustic', 'shiny', 'silent', 'snowy', 'sunny', 'swift', 'tidy', 'vivid', 'witty',
];
const NOUNS = [
  'badger', 'beacon', 'canyon', 'comet', 'cedar', 'delta', 'falcon', 'fjord', 'garnet', 'harbor', 'heron',
  'island', 'lantern', 'maple', 'meadow', 'nebula', 'otter', 'pebble', 'pine', 'quartz', 'raven', 'river',
  'saddle', 'sparrow', 'summit', 'thistle', 'tundra', 'valley', 'walrus', 'willow', 'yarrow', 'zephyr',
];

export function randomName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}`;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?$/;

export function validateName(name: string): string {
  if (!NAME.test(name)) {
    throw new UsageError(
      `invalid sandbox name \`${name}\``,
      'use 1-48 lower-case letters, digits and dashes, starting and ending with a letter or digit',
    );
  }
  return name;
}
