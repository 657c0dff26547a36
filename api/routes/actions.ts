import { actorOf } from '../auth';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../routing';
import { runAction } from '../services/actions';
import { MATCH_ACTIONS } from '../services/coordinator-actions';
import { matchInScope } from '../services/scope';
import { ZMatchParams } from './matches';
import { ZActionResult, ZProblem } from './schemas';

/**
 * Coordinator actions on a match: one POST route per entry of `MATCH_ACTIONS` (the table the workspace's forms use
 * too). Each is a workflow update; the workflow's rejection comes back as 409/422.
 */
export function actionRoutes(api: ApiRoutes, deps: ApiDeps): void {
  for (const [path, action] of Object.entries(MATCH_ACTIONS)) {
    api.add(
      {
        method: 'post',
        path: `/matches/:id/${path}`,
        summary: action.summary,
        tag: 'actions',
        access: 'act',
        params: ZMatchParams.extend(action.params ?? {}),
        body: action.schema,
        // A body with nothing required may be left out.
        bodyOptional: action.schema.safeParse({}).success,
        beyondSchema: action.beyondSchema,
        responses: {
          200: { description: "The workflow accepted it; the match's phase and status now", schema: ZActionResult },
          400: { description: 'Invalid input', schema: ZProblem },
          403: { description: 'Not a coordinator (or admin) key for this program', schema: ZProblem },
          409: { description: "The workflow rejected it: it does not fit the match's state", schema: ZProblem },
          422: { description: 'The workflow rejected it: unacceptable input or unknown item', schema: ZProblem },
          503: { description: 'Temporal or its worker did not take the action in time', schema: ZProblem },
        },
      },
      async ({ params, body, principal, idempotency }) => {
        const { id } = params as { id: string };
        await matchInScope(deps.db, principal, id, 'act');
        const arg = await action.arg(deps, body, params as Record<string, string>);
        const options = { by: actorOf(principal), updateId: idempotency?.id };
        return { body: await runAction(deps, id, action.update, arg, options) };
      },
    );
  }
}
