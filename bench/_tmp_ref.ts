import { encodeEpisodes } from '../src/shards/columns.ts';
const N = 100000;
const mk = (i: number): any => ({ episode_id: 'ep-' + i, user: 'u', device: 'd', split: 'train', start_day: '2024-06-01', duration_ms: 1, end_reason: 'gap', continues: null, screen_width: 1, screen_height: 1, apps: ['a','b'], contexts: [{app:'a',title:'t',url:null,eu_linked:false}], n_events: 1, n_actions: 5,
  actions: Array.from({length: 5}, (_, j) => ({kind:'click',t_ms:j,duration_ms:2,x:1,y:2,nx:0.3,ny:null,x2:null,y2:null,nx2:null,ny2:null,dx:null,dy:null,text: j%3===2 ? 'hello world': null,key:null,key_times_ms:null,path:[{x:1,y:2,t_ms:3},{x:1,y:2,t_ms:3}],frame_uri:null,context:0,redacted:null})) });
const tpl = Array.from({length: 1024}, (_, i) => mk(i));
const rows = Array.from({length: N}, (_, i) => ({...tpl[i & 1023], episode_id: 'ep-' + i}));
for (let r = 0; r < 5; r++) {
  let t0 = process.cpuUsage(); let s = 0;
  for (const row of rows) for (const a of row.actions) { s += a.t_ms + (a.x ?? 0) + (a.nx ?? 0) + (a.text?.length ?? 0) + a.path.length + a.kind.length; for (const p of a.path) s += p.x + p.y + p.t_ms; }
  const ref = process.cpuUsage(t0);
  t0 = process.cpuUsage();
  const t = encodeEpisodes(rows);
  const enc = process.cpuUsage(t0);
  console.log(`ref ${(ref.user/1000).toFixed(0)}ms  encode ${(enc.user/1000).toFixed(0)}ms cpu for ${N*5} actions`, t.numRows, s > 0);
}
