import { validateDefinition, formatIssue } from './src/definitions/validate.ts';
import { renderUrl, renderOptional } from './src/definitions/templates.ts';
import { readFileSync } from 'node:fs';
const base = JSON.parse(readFileSync('examples/connectors/generic.json', 'utf8'));
const show = (label, mutate) => { const d = structuredClone(base); mutate(d); const r = validateDefinition(d); console.log('--', label, r.ok ? r.warnings.map(i=>formatIssue(i,'x.json')) : r.issues.map(i => formatIssue(i, 'x.json'))); };
show('typo key', d => { d.token.clientAtuh = 'body'; });
show('typo enum', d => { d.token.clientAuth = 'bdy'; });
show('unknown var', d => { d.token.url = 'https://auth.{{enviroment}}.example.com/t'; });
show('secret url', d => { d.test.url = 'https://api.example.com/{{client_secret}}'; });
show('http', d => { d.token.url = 'http://auth.example.com/t'; });
show('http loopback', d => { d.token.url = 'http://127.0.0.1:8080/t'; });
show('pattern', d => { d.fields[1].pattern = 'v(['; });
show('proto', d => { d.connectionName = '{{__proto__}}'; });
show('tproto', d => { d.connectionName = '{{token.__proto__}}'; });
show('access in token', d => { d.token.headers = {X: '{{access_token}}'}; });
show('test in test', d => { d.test.url = 'https://api.example.com/{{test.id}}'; });
show('cred', d => { d.requestDefaults.headers['X-Api-Key'] = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'; d.requestDefaults.headers.Foo = 'Bearer abcdefghijkl'; });
show('allowed no path', d => { d.allowedUrls = ['https://api.example.com']; });
show('field origin', d => { d.allowedUrls = ['{{api_version}}/x/']; });
show('missing', d => { delete d.token.url; d.fields[0].options = undefined; });
show('fields type', d => { d.fields = 'x'; });
show('select no opts', d => { delete d.fields[0].options; });
show('default bad', d => { d.fields[0].default = 'prod'; });
show('privkey', d => { d.token.clientAuth = 'private_key_jwt'; });
const ctx = { fields: { environment: 'production', api_version: 'v2', region: '' }, token: { instance_url: 'https://na1.salesforce.com/' } };
for (const [t, f] of [['https://api.{{environment}}.example.com/{{api_version}}/me', {}], ['https://{{d}}/x', {d: 'evil.test/'}], ['https://{{d}}/x', {d: 'a@evil.test'}], ['https://{{d}}/x', {d: 'a..b'}], ['https://{{d}}/x', {d: 'a%2fb'}], ['https://{{d}}/x', {d: 'ｅvil。test'}], ['https://{{d}}.x.com/x', {d: 'a.b'}], ['https://x.com/a/{{d}}?q={{d}}', {d: 'a/b?c=d&e#f ü'}], ['https://x.com/a/{{d}}/b', {d: '..'}], ['{{token.instance_url}}/services/data/', {}], ['https://x.com/{{token.instance_url}}', {}], ['https://{{d}}/', {d:'169.254.169.254'}]]) {
  try { console.log(t, '=>', renderUrl(t, { ...ctx, fields: { ...ctx.fields, ...f } })); } catch (e) { console.log(t, JSON.stringify(f), 'ERR', e.code, e.message); }
}
for (const t of ['{{region}}', ' {{region}} ', 'x{{region}}', '{{environment}}', '']) console.log(JSON.stringify(t), JSON.stringify(renderOptional(t, ctx)));
