import { createCheckinActivities } from './checkins';
import type { ActivityDeps } from './deps';
import { createDigestActivities } from './digest';
import { createMailActivities } from './mail/send';
import { createReadModelActivities } from './read-model';
import { createWebhookActivities } from './webhooks/deliver';

export type { ActivityDeps } from './deps';

/** Builds every activity from its dependencies; workflows see only the type of this object. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createMailActivities(deps),
    ...createReadModelActivities(deps),
    ...createDigestActivities(deps),
    ...createCheckinActivities(deps),
    ...createWebhookActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
