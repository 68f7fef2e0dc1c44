// Checks that the project's proto is a superset of the upstream contract: every upstream service
// method, message, field (name, number, type, label, map key) and enum value exists unchanged.
//   node proto-superset.mjs <upstream.proto> <project.proto>   -> one JSON line {ok, checked, problems}
import protobuf from 'protobufjs';

const [upstreamPath, projectPath] = process.argv.slice(2);
const load = (path) => new protobuf.Root().loadSync(path, { keepCase: true }).resolveAll();
const upstream = load(upstreamPath);
const project = load(projectPath);
const problems = [];
let checked = 0;

function walk(ns, visit) {
  for (const nested of ns.nestedArray ?? []) {
    visit(nested);
    walk(nested, visit);
  }
}

walk(upstream, (u) => {
  const name = u.fullName;
  if (!(u instanceof protobuf.Type || u instanceof protobuf.Enum || u instanceof protobuf.Service)) return;
  let p;
  try {
    p = project.lookup(name);
  } catch {
    p = null;
  }
  if (!p || p.constructor !== u.constructor) {
    problems.push(`${name}: missing`);
    return;
  }
  if (u instanceof protobuf.Type) {
    for (const f of u.fieldsArray) {
      checked++;
      const pf = p.fields[f.name];
      if (!pf) problems.push(`${name}.${f.name}: missing`);
      else {
        if (pf.id !== f.id) problems.push(`${name}.${f.name}: number ${pf.id}, upstream ${f.id}`);
        if (pf.type !== f.type) problems.push(`${name}.${f.name}: type ${pf.type}, upstream ${f.type}`);
        if ((pf.rule ?? '') !== (f.rule ?? '')) problems.push(`${name}.${f.name}: label ${pf.rule}, upstream ${f.rule}`);
        if ((pf.keyType ?? '') !== (f.keyType ?? '')) problems.push(`${name}.${f.name}: map key ${pf.keyType}, upstream ${f.keyType}`);
      }
      const byNumber = p.fieldsById[f.id];
      if (byNumber && byNumber.name !== f.name) problems.push(`${name}: number ${f.id} is ${byNumber.name}, upstream ${f.name}`);
    }
  } else if (u instanceof protobuf.Enum) {
    for (const [k, v] of Object.entries(u.values)) {
      checked++;
      if (p.values[k] !== v) problems.push(`${name}.${k}: ${p.values[k]}, upstream ${v}`);
    }
  } else {
    for (const m of u.methodsArray) {
      checked++;
      const pm = p.methods[m.name];
      if (!pm) problems.push(`${name}.${m.name}: missing`);
      else if (pm.requestType !== m.requestType || pm.responseType !== m.responseType
        || !!pm.requestStream !== !!m.requestStream || !!pm.responseStream !== !!m.responseStream) {
        problems.push(`${name}.${m.name}: signature differs`);
      }
    }
  }
});
process.stdout.write(JSON.stringify({ ok: problems.length === 0, checked, problems }) + '\n');
