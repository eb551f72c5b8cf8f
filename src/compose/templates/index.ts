/** The built-in templates, by id. */
import type { Template } from '../template.ts';
import { banner } from './banner.ts';
import { og } from './og.ts';
import { packageCard } from './package.ts';
import { socialCard } from './social-card.ts';

export const BUILT_IN_TEMPLATES: readonly Template[] = [og, packageCard, banner, socialCard];
