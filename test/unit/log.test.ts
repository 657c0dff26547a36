import { signLink } from '../../activities/links';
import { scrub, scrubLine, scrubText, temporalLogger } from '../../telemetry/log';
import { captureLog } from '../support/logs';

describe('logs: redaction and ids', () => {
  const token = signLink('a-signing-secret-a-signing-secret-0123', {
    kind: 'checkin',
    matchId: 'm-1',
    n: 2,
    respondent: 'talent',
    expiresAt: Date.UTC(2027, 0, 1),
  });

  it('cuts addresses, link tokens, API key secrets and URL credentials out of text; ids stay', () => {
    expect(scrubText('550 5.1.1 <hanako.yamada+ec@yamada-foods.example.jp>: Recipient address rejected')).toBe(
      '550 5.1.1 <[email]>: Recipient address rejected',
    );
    expect(scrubText(`GET /checkins/${token}?satisfaction=2`)).toBe('GET /checkins/…?satisfaction=2');
    expect(scrubText(`GET /KICKOFF/${token}`)).toBe('GET /KICKOFF/…');
    expect(scrubText('route /checkins/:token')).toBe('route /checkins/:token');
    expect(scrubText(`see https://bansou.example.org/checkins/${token}`)).toBe(
      'see https://bansou.example.org/checkins/…',
    );
    expect(scrubText('/matches/m-1/kickoff/schedule')).toBe('/matches/m-1/kickoff/schedule');
    expect(scrubText(`bad token ${token}`)).toBe('bad token [token]');
    expect(scrubText('Bearer bsk_AbCdEfGh_s3cr3t-part_x')).toBe('Bearer bsk_AbCdEfGh_[redacted]');
    expect(scrubText('smtps://mailer:hunter2@smtp.example.org:465')).toBe('smtps://[redacted]@smtp.example.org:465');
    expect(scrubText('postgresql://bansou:pw@db:5432/bansou')).toBe('postgresql://[redacted]@db:5432/bansou');
    // A Message-ID is a hash, not a person; match and workflow ids are not personal either.
    expect(scrubText('<3f2a9c0d1e4b5a6978f0e1d2c3b4a596@bansou.example.org> match:demo-001')).toBe(
      '<3f2a9c0d1e4b5a6978f0e1d2c3b4a596@bansou.example.org> match:demo-001',
    );
  });

  it('censors personal keys at any depth, in bindings, messages and errors (stacks included)', () => {
    const { log, lines, raw } = captureLog();
    const person = { name: '山田 花子', email: 'hanako@yamada.example', locale: 'ja' };
    log
      .child({ requestId: 'r-1', recipient: person })
      .warn(
        { matchId: 'm-1', deep: { a: { b: { host: person, answers: { comment: '先方の決裁が遅い' } } } }, to: 'x' },
        'sending to hanako@yamada.example failed',
      );
    const error = new Error('550 <hanako@yamada.example> unknown');
    log.error({ err: error, note: { text: '報酬の話' } }, 'failed');
    expect(raw.join('')).not.toMatch(/hanako|山田|先方|報酬/);
    expect(lines[0]).toMatchObject({
      level: 'warn',
      service: 'test',
      requestId: 'r-1',
      matchId: 'm-1',
      recipient: '[redacted]',
      to: '[redacted]',
      deep: { a: { b: { host: '[redacted]', answers: '[redacted]' } } },
      msg: 'sending to [email] failed',
    });
    expect(lines[1]).toMatchObject({ level: 'error', note: '[redacted]', err: { type: 'Error' } });
    expect((lines[1]!.err as { stack: string }).stack).toContain('550 <[email]> unknown');
  });

  it('writes a line with nothing to scrub as it came, and scrubs every other as a parsed line would be', () => {
    const request = `${JSON.stringify({
      level: 'info',
      time: '2026-11-27T12:00:00.000Z',
      service: 'api',
      requestId: '0f0c8a52-54b4-4c7b-9d6e-2f1f0e6a7b3c',
      method: 'GET',
      route: '/matches/:id',
      status: 200,
      ms: 3,
      matchId: 'prog-1:ref-001',
      keyId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
      msg: 'request',
    })}\n`;
    expect(scrubLine(request)).toBe(request);
    const lines = [
      request,
      request.replace('"ms":3', '"EMAIL":"x","ms":3'),
      // A key that is "token" in lower case (the Kelvin sign), anywhere.
      request.replace('"ms":3', '"deep":{"a":[{"to\u212Aen":"x"}]},"ms":3'),
      request.replace('prog-1:ref-001', 'hanako@yamada.example'),
      request.replace('"ms":3', `"path":"/Kickoff/${token}","ms":3`),
      request.replace('"msg":"request"', `"msg":"bad ${token}"`),
      // A token inside a longer run of token characters.
      request.replace('"msg":"request"', `"msg":"id-${token}"`),
      request.replace('"msg":"request"', '"msg":"Bearer bsk_AbCdEfGh_s3cr3t"'),
      request.replace('"msg":"request"', '"msg":"smtp://user:pw@host"'),
      'not json: hanako@yamada.example\n',
    ];
    for (const line of lines) {
      const written = scrubLine(line);
      if (line.startsWith('{')) expect(JSON.parse(written)).toEqual(scrub(JSON.parse(line)));
      else expect(written).toBe(scrubText(line));
      expect(written).not.toMatch(/hanako|s3cr3t|pw@|"x"/);
    }
    expect(scrubLine(lines[2]!)).toContain('"to\u212Aen":"[redacted]"');
  });

  it("the SDK's lines keep their level and ids; a match's workflow lines get its match id, task tokens go", () => {
    const { log, lines } = captureLog('worker');
    const sdk = temporalLogger(log);
    sdk.warn('email not sent', {
      sdkComponent: 'workflow',
      workflowId: 'match:demo-001',
      runId: 'run-1',
      workflowType: 'matchWorkflow',
    });
    sdk.info('email sent', { sdkComponent: 'activity', activityType: 'sendEmail', taskToken: 'CiQ0…' });
    sdk.log('DEBUG', 'digest planned', { workflowId: 'coordinator-digest' });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', workflowId: 'match:demo-001', matchId: 'demo-001', runId: 'run-1' }),
      expect.objectContaining({ level: 'info', activityType: 'sendEmail', taskToken: '[redacted]' }),
      expect.objectContaining({ level: 'debug', workflowId: 'coordinator-digest' }),
    ]);
    expect(lines[2]).not.toHaveProperty('matchId');
  });
});
