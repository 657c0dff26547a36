/**
 * The libraries the worker evaluates once per workflow thread and every workflow run then shares (the bundle's
 * `preloadModules`, `worker/bundle.ts`), instead of once per run it starts or replays. Named here, not in the bundle's
 * options, because a library whose package declares no side effects is dropped from the preload unless some module
 * uses it. Each keeps no state of a run: zod's registry of schemas' metadata and its caches are keyed by each run's own
 * schemas, weakly; the tracing interceptors' semantic conventions (the two modules they use) are constants. The SDK
 * freezes them once this module has run.
 */
import { z } from 'zod';
import { SemanticAttributes, SemanticResourceAttributes } from '@opentelemetry/semantic-conventions';

// zod sets its defaults on its shared configuration when the first schema (English messages) and the first object
// (its memoizer) are made: both made here, before the configuration is frozen, so no run has to write to it.
z.object({ id: z.string() });

export const PRELOADED_LIBRARIES = [z, SemanticAttributes, SemanticResourceAttributes];
