import SQLite from 'better-sqlite3';
const db = new SQLite(process.argv[2], { readonly: true });
const ACTIVE = 'select conversation_id from members where user_id = @user and left_at is null';
const MEMBERS = `select * from members where (conversation_id in (${ACTIVE}) or user_id = @user) and change_id > @after order by change_id limit @limit`;
const CONVERSATIONS = `select * from conversations where id in (${ACTIVE}) and change_id > @after order by change_id limit @limit`;
for (const q of [MEMBERS, CONVERSATIONS]) {
  console.log(db.prepare(`explain query plan ${q}`).all({ user: 'x', after: 0, limit: 10 }).map((r: any) => r.detail).join(' | '));
}
console.log(db.prepare("select name, sql from sqlite_master where tbl_name in ('members','conversations') and type='index'").all());
