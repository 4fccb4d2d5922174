import type { Linter } from 'eslint';
/** The import rules between tiers, as ESLint flat-config blocks (see tier-boundaries.js). */
export declare const tierBoundaries: Linter.Config[];
