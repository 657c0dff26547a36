import type { Locale } from '../../workflows/shared';

/**
 * What is wrong with a field, in the person's language. The schemas (workflows/messages.ts, workflows/text.ts, the
 * match, import and playbook schemas) state their rules once, in English, which the JSON API answers; this catalogue
 * gives each of those sentences in Japanese, the way gettext keys a translation by its source text. A sentence with
 * figures in it is matched by its pattern, the figures carried over. A sentence not in the catalogue is shown as it
 * is (English) rather than hidden.
 */
const EXACT: Record<string, string> = {
  'is required': '入力してください',
  'must not be empty': '空欄にはできません',
  'must not contain control characters (such as NUL)': '制御文字（NUL など）は使えません',
  'must be an email address': 'メールアドレスの形式で入力してください',
  'must be a date as YYYY-MM-DD': '日付（YYYY-MM-DD または YYYY/MM/DD）で入力してください',
  'must be an ISO date-time with a zone': 'タイムゾーン付きの日時で入力してください',
  'must be an ISO date-time with a zone, e.g. 2026-12-03T10:00:00+09:00': '日時を入力してください',
  'propose 1 to 5 slots': '候補を 1〜5 件入力してください',
  'is required when the kickoff was not held': '実施されなかった場合は理由を入力してください',
  'is required to reject a document': '差し戻す場合は理由を入力してください',
  'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit':
    '英数字と「.」「_」「-」で 1〜64 文字（先頭は英数字）にしてください',
  'is required (or give endsAt)': '終了日を入力してください',
  'give either endDate or endsAt, not both': '終了日と終了日時はどちらか一方だけにしてください',
  'must be after startDate': '開始日より後の日付にしてください',
  'must not be before startDate': '開始日より前にはできません',
  'must differ from the host': '受入担当者とは別のメールアドレスにしてください',
  'must be host or talent': '受入事業者か兼業人材を選んでください',
  'is not a document type': '契約書類の種類として正しくありません',
  'no program with this id': 'この ID のプログラムはありません',
  'already used by a different match': 'この ID は別のマッチングで使われています',
  'no header row': '見出し行がありません',
  'must be a duration such as 14d, 36h, 30s': '期間（14d・36h・30s など）で入力してください',
  'must be at most 3 years': '3 年以内にしてください',
  'must be HH:MM': '時刻（HH:MM）で入力してください',
  'must be lowercase letters, digits and _': '半角英小文字・数字・「_」で入力してください',
  'must be an IANA time zone such as Asia/Tokyo': 'タイムゾーン名（Asia/Tokyo など）で入力してください',
  'must be after start': '開始より後にしてください',
  'must be shorter than closeAfter': '締切（closeAfter）より短くしてください',
  'must not be longer than cadence': '実施間隔（cadence）より長くはできません',
  'must not be above escalateAt': 'escalateAt 以下にしてください',
  'task keys must be unique': 'タスクのキーが重複しています',
  'document types must be unique': '契約書類の種類が重複しています',
  'each manager once (emails must differ)': 'プログラム担当のメールアドレスが重複しています',
  'is not valid JSON': 'JSON として読めません',
};

const PATTERNS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^must be at most (\d+) characters$/, (m) => `${m[1]} 文字以内で入力してください`],
  [/^must be (\d+) to (\d+)$/, (m) => `${m[1]}〜${m[2]} の数で入力してください`],
  [/^must be one of (.+)$/, () => '一覧から選んでください'],
  [
    /^Invalid option: expected one of (.+)$/,
    (m) => `${m[1]!.replace(/"/g, '').replace(/\|/g, '・')} のいずれかにしてください`,
  ],
  [
    /^Too (small|big): expected (?:number|int) to be (>=|>|<=|<)\s*(-?[\d.]+)$/,
    (m) => `${m[3]} ${BOUND[m[2]!]}にしてください`,
  ],
  [/^Invalid input: expected (\w+), received (\w+)$/, (m) => `${KIND[m[1]!] ?? m[1]}で入力してください`],
  [/^the same id as row (\d+)$/, (m) => `${m[1]} 行目と同じ ID です`],
  [/^unknown column \(use (.+)\)$/, (m) => `使えない列名です（使える列: ${m[1]}）`],
  [
    /^has bytes that are not valid (\S+) \(broken characters\)$/,
    (m) => `${m[1]} として読めない文字（文字化け）があります`,
  ],
  [/^(\d+) rows$/, (m) => `${m[1]} 行あります`],
];
const BOUND: Record<string, string> = { '>=': '以上', '>': 'より大きい数', '<=': '以下', '<': '未満' };
const KIND: Record<string, string> = {
  string: '文字',
  number: '数',
  boolean: 'はい・いいえ',
  object: '項目',
  array: '一覧',
};

/** A field's problem in `locale` (the schemas' English sentence, or its Japanese). */
export function problemIn(message: string, locale: Locale): string {
  if (locale === 'en') return message;
  const exact = EXACT[message];
  if (exact) return exact;
  for (const [pattern, words] of PATTERNS) {
    const found = pattern.exec(message);
    if (found) return words(found);
  }
  return message;
}
