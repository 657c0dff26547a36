import { signInUrl } from '../activities/links';
import { markAdmin } from '../api/services/accounts';
import { createSignInLink } from '../api/workspace/sessions';
import { createDatabase } from '../prisma/client';

/** The local admin of the workspace on the dev stack. */
export const DEV_ADMIN = 'admin@bansou.localhost';

/** Marks the local admin and makes a sign-in link for it that works once, for an hour (`./dev/start` prints it). */
export async function devAdminSignIn(databaseUrl: string, signingSecret: string, baseUrl: string): Promise<string> {
  const db = createDatabase(databaseUrl, { poolSize: 1 });
  try {
    await markAdmin(db, DEV_ADMIN, 'dev stack');
    const token = await createSignInLink({ db, links: { publicBaseUrl: baseUrl, signingSecret } }, DEV_ADMIN, 60);
    return signInUrl(baseUrl, token);
  } finally {
    await db.$disconnect();
  }
}
