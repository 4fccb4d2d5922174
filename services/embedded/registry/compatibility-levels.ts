/** Compatibility levels, as Confluent names them. The registry's default is BACKWARD_TRANSITIVE. */
export const CompatibilityLevels = {
  NONE: 'NONE',
  BACKWARD: 'BACKWARD',
  BACKWARD_TRANSITIVE: 'BACKWARD_TRANSITIVE',
  FORWARD: 'FORWARD',
  FORWARD_TRANSITIVE: 'FORWARD_TRANSITIVE',
  FULL: 'FULL',
  FULL_TRANSITIVE: 'FULL_TRANSITIVE',
} as const;

export type CompatibilityLevel = keyof typeof CompatibilityLevels;

export const DEFAULT_COMPATIBILITY_LEVEL: CompatibilityLevel = 'BACKWARD_TRANSITIVE';

/** Case-insensitive, as Confluent accepts `backward` as well as `BACKWARD`. */
export const parseCompatibilityLevel = (raw: unknown): CompatibilityLevel | undefined => {
  if (typeof raw !== 'string') return undefined;
  const upper = raw.toUpperCase();
  return Object.hasOwn(CompatibilityLevels, upper) ? (upper as CompatibilityLevel) : undefined;
};

/** Which directions a level checks and whether against every earlier version or only the latest. */
export const levelRules = (
  level: CompatibilityLevel,
): { readonly backward: boolean; readonly forward: boolean; readonly transitive: boolean } => ({
  backward: level.startsWith('BACKWARD') || level.startsWith('FULL'),
  forward: level.startsWith('FORWARD') || level.startsWith('FULL'),
  transitive: level.endsWith('_TRANSITIVE'),
});
