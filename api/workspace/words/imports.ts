import type { Shape } from './shape';

/** The CSV import page. */
const ja = {
  imports: {
    title: 'CSV でマッチングを登録',
    link: 'CSV でマッチングを登録',
    intro:
      'プログラムで管理している CSV ファイルから、マッチングをまとめて登録します。まず内容を確認し、問題がなければ「登録する」を押したときに初めて登録されます。',
    format:
      '1 行目は列名（日本語・英語のどちらでも）。日付は 2026-12-01 または 2026/12/01。文字コードは UTF-8 か Shift_JIS（Excel の保存形式）。1 ファイル {max} 行まで。',
    columns: '使える列名',
    file: 'CSV ファイル',
    check: '内容を確認する',
    preview: '確認結果',
    summary: '{total} 行：新しく登録 {fresh} 件、登録済み {existing} 件',
    row: '行',
    rowProblems: '問題',
    fileProblems: 'ファイル全体の問題',
    more: 'ほか問題のない {n} 行は省略しています。',
    confirm: '{n} 件を登録する',
    problems: '{n} 件の問題があります。ファイルを直して、もう一度確認してください（まだ何も登録していません）。',
    noRows: 'データの行がありません（まだ何も登録していません）。',
    unreadable: 'このファイルは CSV として読めません（まだ何も登録していません）。',
    outside: 'このプログラムにマッチングを登録する権限がありません',
    noFile: 'CSV ファイルを選んでください。',
    tooLarge: 'ファイルが大きすぎます（2 MB まで）。',
    notAFile: 'CSV ファイルを 1 つだけ選んでください。',
    notPreviewed: '確認した内容と違うため、登録しませんでした。もう一度ファイルを確認してください。',
    changed: '確認した後に状況が変わったため、登録しませんでした。今の問題を確認してください。',
    registered: '{n} 件のマッチングが登録されています（今回新しく登録 {created} 件）。',
    result: '登録したマッチング',
    isNew: '今回登録',
    wasThere: '登録済み',
    again: '別のファイルを登録する',
  },
} as const;

const en: Shape<typeof ja> = {
  imports: {
    title: 'Register matches from a CSV',
    link: 'Register matches from a CSV',
    intro:
      'Register many matches at once from the CSV file your program keeps. First check what the file says; nothing is registered until you press Register.',
    format:
      'The first row names the columns (in English or Japanese). Dates as 2026-12-01 or 2026/12/01. UTF-8 or Shift_JIS (as Excel saves). At most {max} rows per file.',
    columns: 'Column names',
    file: 'CSV file',
    check: 'Check the file',
    preview: 'What the file says',
    summary: '{total} rows: {fresh} to register, {existing} registered already',
    row: 'Row',
    rowProblems: 'Problems',
    fileProblems: 'Problems with the whole file',
    more: '{n} more rows without problems are not shown.',
    confirm: 'Register {n} matches',
    problems: '{n} problem(s) found. Fix the file and check it again (nothing is registered yet).',
    noRows: 'The file has no data rows (nothing is registered).',
    unreadable: 'This file cannot be read as CSV (nothing is registered).',
    outside: 'you may not register matches in this program',
    noFile: 'Choose a CSV file.',
    tooLarge: 'The file is too large (at most 2 MB).',
    notAFile: 'Choose one CSV file.',
    notPreviewed: 'This is not the file that was checked, so nothing was registered. Check the file again.',
    changed: 'Something changed after the check, so nothing was registered. Here is what is wrong now.',
    registered: '{n} matches are registered ({created} new now).',
    result: 'Registered matches',
    isNew: 'New now',
    wasThere: 'Registered before',
    again: 'Register another file',
  },
};

export const IMPORTS_WORDS = { ja, en };
