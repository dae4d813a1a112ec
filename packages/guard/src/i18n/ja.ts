import type { StatusText } from './en.js';

/** Every Japanese string of the status page. */
export const ja: StatusText = {
  lang: 'ja',
  status: { up: '正常', degraded: '一部に問題', down: '停止中', unknown: '確認中…' },
  banner: { up: 'すべて正常に動作しています', degraded: '一部に問題があります', down: 'サービス障害', unknown: '確認中' },
  headline: {
    up: 'すべてのメールサービスが正常に動作しています。',
    degraded: 'メールは利用できます。一部に問題があり、対応中です。',
    unknown: 'メールシステムの各部を確認しています…',
  },
  components: {
    smtp: { title: 'メールの受信 (SMTP)', impact: '新しいメールを受け付けられません。送信側は後で再送します' },
    imap: { title: 'メールの閲覧 (IMAP)', impact: 'メールソフトでメールボックスを開けません' },
    pop3: { title: 'メールのダウンロード (POP3)', impact: 'POP3 のメールソフトでダウンロードできません' },
    submission: { title: 'メールの送信 (サブミッション)', impact: 'メールソフトからメールを送信できません' },
    delivery: { title: '配送時間', impact: '新しいメールがメールボックスに届いていません' },
    datatier: { title: 'メールの保存 (データ層)', impact: 'メールを保存・閲覧できません' },
    redis: { title: 'セッションと通知 (Redis)', impact: 'ログインと新着通知が失敗します' },
    restarts: { title: 'フロントエンドの再起動', impact: 'フロントエンドが再起動を繰り返し、そのたびに接続が切れます' },
    blocklist: { title: '送信メールの評判 (ブロックリスト)', impact: 'このシステムから送ったメールが受信側で拒否されることがあります' },
  },
  instance: {
    wildduck: (n: string) => ({ title: `WildDuck インスタンス ${n}`, impact: '利用者は別のインスタンスに再接続します' }),
    haraka: (n: string) => ({ title: `Haraka インスタンス ${n}`, impact: '送信側は別のインスタンスで再送します' }),
    submission: (n: string) => ({
      title: `送信 (サブミッション) インスタンス ${n}`,
      impact: 'メールソフトは別のインスタンスから送信します',
    }),
  },
  /** Between the impact sentences of the banner. */
  sentenceSeparator: '。',
  degradedSuffix: '一部に問題',
  since: (at: string) => `${at} UTC から`,
  headings: { ongoing: '発生中', services: 'サービス', history: '障害の履歴', blocklists: '自サーバーのブロックリスト掲載状況' },
  instances: (up: number, all: number) => `インスタンス (${all} 台中 ${up} 台が正常)`,
  resolved: '解決済み',
  ongoing: '発生中',
  noIncidents: '障害の記録はありません。',
  updated: (at: string) => `${at} UTC に更新 · 数秒ごとに自動で更新されます`,
  unreachable: '状況ページのサービス自体に接続できません。再試行しています…',
  pageTitle: 'メールの稼働状況',
  header: 'メールサービスの稼働状況',
  blocklist: {
    columns: { target: '自サーバーの IP / ドメイン', zone: 'リスト', state: '状態', since: '開始' },
    state: { listed: '掲載あり', clear: '掲載なし', unknown: '不明 (問い合わせ失敗)' },
    none: '確認対象の IP やドメインが設定されていません。',
  },
  duration: { s: '秒', min: '分', h: '時間' },
  switchTo: 'English',
};
