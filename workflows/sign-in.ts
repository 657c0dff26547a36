import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SignInEmailInput } from './shared';

// A person is waiting for this email: no sending hours, short retries (the link expires in minutes anyway).
const { sendEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** Emails a one-time sign-in link to the workspace through the outbox (stored first, sent once, stable Message-ID). */
export async function signInEmailWorkflow(input: SignInEmailInput): Promise<void> {
  await sendEmail({
    key: `sign-in:${input.linkId}`,
    template: 'sign-in',
    recipient: input.recipient,
    data: { validMinutes: input.validMinutes },
    signIn: { linkId: input.linkId },
  });
}
