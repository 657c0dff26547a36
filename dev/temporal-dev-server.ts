import { searchAttributes } from '../workflows/shared';

/**
 * How `./dev/start` runs the Temporal CLI's dev server: its ports, its SQLite file, bansou's search attributes, and
 * its Web UI pointed at the API's codec endpoint, so histories show decrypted to an admin signed in to the workspace.
 */

export type DevServerPorts = { temporal: number; ui: number; api: number };

/** The API as the browser reaches it: the workspace, the links in emails, the codec endpoint. */
export const devApiUrl = (apiPort: number) => `http://localhost:${apiPort}`;

/** The API's codec endpoint: the API's own host, so the workspace's session cookie goes along with the UI's calls. */
export const devCodecEndpoint = (apiPort: number) => `${devApiUrl(apiPort)}/codec`;

/** The Web UI's origins, which the API lets call the codec endpoint (TEMPORAL_UI_ORIGIN). */
export const devUiOrigins = (uiPort: number) => [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`];

/** What the dev server is given beyond its address and storage: the UI's codec endpoint. */
export const devServerUiArgs = (apiPort: number) => ['--ui-codec-endpoint', devCodecEndpoint(apiPort)];

/** The whole command line of `temporal` (after the binary) for the dev server. */
export function devServerArgs(ports: DevServerPorts, dbFile: string): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(ports.temporal)];
  args.push('--ui-port', String(ports.ui), '--db-filename', dbFile, '--log-level', 'warn');
  args.push(...devServerUiArgs(ports.api));
  for (const key of Object.values(searchAttributes)) args.push('--search-attribute', `${key.name}=Keyword`);
  return args;
}
