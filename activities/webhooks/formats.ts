import type { WebhookEvent, WebhookFormat } from '../../workflows/webhook-events';

const OUTCOMES = {
  completed: { ja: '完遂', en: 'completed' },
  ended_early: { ja: '途中終了', en: 'ended early' },
  cancelled: { ja: '開始前に取りやめ', en: 'cancelled before it started' },
} as const;

/** The instant in Japan's time, as people there read it (2026/12/01 09:00). */
const jst = (iso: string) =>
  new Intl.DateTimeFormat('ja-JP', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(new Date(iso));

/** The event as a message for a chat room: Japanese first, then English. */
export function eventText(data: WebhookEvent, programName: string): string {
  switch (data.event) {
    case 'escalation.opened':
      return [
        `【エスカレーション】${data.match.title}（${data.match.id}）`,
        `${data.escalation.reason.ja}\u3000対応期限: ${jst(data.escalation.dueAt)}`,
        `Escalation on ${data.match.id}: ${data.escalation.reason.en} Due ${data.escalation.dueAt}.`,
      ].join('\n');
    case 'escalation.raised':
      return [
        `【事務局へ】期限までに対応されていないエスカレーション: ${data.match.title}（${data.match.id}）`,
        `${data.escalation.reason.ja}\u3000対応期限: ${jst(data.escalation.dueAt)}`,
        `Raised to the program managers, not acknowledged in time: ${data.match.id}: ${data.escalation.reason.en}`,
      ].join('\n');
    case 'digest.weekly':
      return [
        `【週次ダイジェスト】${programName}（${data.week} の週）`,
        `未解決のエスカレーション ${data.counts.openEscalations} 件（うち期限超過 ${data.counts.overdueEscalations} 件）、見守り中の懸念 ${data.counts.watches} 件、期限を過ぎたタスク ${data.counts.overdueTasks} 件`,
        `Weekly digest: ${data.counts.openEscalations} open escalations (${data.counts.overdueEscalations} overdue), ${data.counts.watches} concerns watched, ${data.counts.overdueTasks} overdue tasks.`,
      ].join('\n');
    case 'match.closed':
      return [
        `【マッチング終了】${data.match.title}（${data.match.id}）: ${OUTCOMES[data.outcome].ja}${data.reason ? `（${data.reason}）` : ''}`,
        `Match ${data.match.id} closed: ${OUTCOMES[data.outcome].en}.`,
      ].join('\n');
  }
}

/** The request an endpoint of a format takes: its body and content type. */
export function webhookBody(
  format: WebhookFormat,
  envelope: { id: string; occurredAt: string; programId: string; data: WebhookEvent },
  programName: string,
): { body: string; contentType: string } {
  if (format === 'slack') {
    return { body: JSON.stringify({ text: eventText(envelope.data, programName) }), contentType: 'application/json' };
  }
  if (format === 'chatwork') {
    // Chatwork's "post a message" API: a form with `body`; [info] draws it as a box.
    const text = `[info][title]bansou[/title]${eventText(envelope.data, programName)}[/info]`;
    return { body: new URLSearchParams({ body: text }).toString(), contentType: 'application/x-www-form-urlencoded' };
  }
  const { data, ...rest } = envelope;
  return {
    body: JSON.stringify({ ...rest, event: data.event, program: { id: envelope.programId, name: programName }, data }),
    contentType: 'application/json',
  };
}
