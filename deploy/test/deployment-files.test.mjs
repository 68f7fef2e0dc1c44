// Structural checks of the deployment files against the bridge itself: the Dockerfile,
// docker-compose.dev.yml and deploy/kubernetes/ parse, carry the required fields, use the ports
// the bridge listens on (PORT 9090, METRICS_PORT 9091; LiveKit 7880), set only environment
// variables the bridge reads (scanned from bridge-server's main sources), probe grpc.health.v1,
// and give the bridge more time to stop than SHUTDOWN_GRACE_SECONDS. Nothing is run: the official
// livekit-server image cannot be pulled here (scripts/image-test.sh runs the bridge's image).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (p) => readFileSync(join(root, p), 'utf8');

/** Every document of a YAML file; a syntax error or a duplicate key fails. */
function yamlDocs(path) {
  const docs = parseAllDocuments(read(path), { uniqueKeys: true, prettyErrors: true });
  for (const d of docs) {
    assert.deepEqual(d.errors.map(String), [], `${path} must parse as YAML`);
  }
  return docs.map((d) => d.toJS()).filter((d) => d != null);
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** The environment variables the bridge reads, with the defaults BridgeConfig gives them. */
const bridge = (() => {
  const names = new Set();
  const defaults = new Map();
  const main = join(root, 'bridge-server/src/main');
  for (const file of walk(main)) {
    const src = readFileSync(file, 'utf8');
    if (file.endsWith('.java')) {
      for (const m of src.matchAll(/\((?:env|environment), "([A-Z][A-Z0-9_]*)"/g)) names.add(m[1]);
      for (const m of src.matchAll(/getenv\("([A-Z][A-Z0-9_]*)"\)/g)) names.add(m[1]);
      for (const m of src.matchAll(/env\.(?:get|getOrDefault|containsKey)\("([A-Z][A-Z0-9_]*)"/g)) names.add(m[1]);
      for (const m of src.matchAll(/(?:integer|bool|string)\(env, "([A-Z][A-Z0-9_]*)", ([^,)]+)/g)) {
        const raw = m[2].trim().replace(/_/g, '');
        let value;
        if (/^[\d\s*+]+$/.test(raw)) value = String(Function(`"use strict"; return (${raw});`)());
        else if (raw === 'true' || raw === 'false') value = raw;
        else if (/^"[^"]*"$/.test(raw)) value = raw.slice(1, -1);
        if (value !== undefined) defaults.set(m[1], value);
      }
    } else if (file.endsWith('.xml')) {
      for (const m of src.matchAll(/\$\{([A-Z][A-Z0-9_]*)(?::-[^}]*)?\}/g)) names.add(m[1]);
    }
  }
  return { names, defaults };
})();
// Read by the java launcher or the dynamic loader inside the image, not by the bridge.
const jvmEnv = new Set(['JDK_JAVA_OPTIONS', 'JAVA_TOOL_OPTIONS', 'LD_PRELOAD', 'MALLOC_CONF']);

function assertBridgeReads(names, where) {
  const unknown = [...names].filter((n) => !bridge.names.has(n) && !jvmEnv.has(n));
  assert.deepEqual(unknown, [], `${where} sets variables the bridge does not read (it reads ${[...bridge.names].sort().join(', ')})`);
}

const dockerfile = (() => {
  const text = read('Dockerfile').replace(/\\\n/g, ' ');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages = lines.filter((l) => /^FROM /i.test(l));
  const runtime = lines.slice(lines.lastIndexOf(stages[stages.length - 1]));
  const env = new Map();
  for (const l of runtime.filter((x) => /^ENV /i.test(x))) {
    for (const m of l.slice(4).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) env.set(m[1], m[2].replace(/^"|"$/g, ''));
  }
  const one = (kw) => runtime.find((x) => new RegExp(`^${kw} `, 'i').test(x));
  return {
    stages,
    env,
    expose: (one('EXPOSE') || '').split(/\s+/).slice(1),
    user: (one('USER') || '').split(/\s+/)[1],
    healthcheck: one('HEALTHCHECK') || '',
    entrypoint: JSON.parse((one('ENTRYPOINT') || 'ENTRYPOINT []').replace(/^ENTRYPOINT\s+/i, '')),
  };
})();

const javaClassExists = (fqcn) => existsSync(join(root, 'bridge-server/src/main/java', fqcn.replace(/\./g, '/') + '.java'));

test('the bridge reads the variables these checks rely on', () => {
  for (const n of ['PORT', 'BIND_ADDRESS', 'METRICS_PORT', 'LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET', 'SHUTDOWN_GRACE_SECONDS']) {
    assert.ok(bridge.names.has(n), `BridgeConfig no longer reads ${n}`);
  }
  assert.equal(bridge.defaults.get('PORT'), '9090');
  assert.equal(bridge.defaults.get('METRICS_PORT'), '9091');
});

test('Dockerfile: multi-stage, non-root, ports, health check, the bridge\'s variables with its defaults', () => {
  assert.ok(dockerfile.stages.length >= 2, 'a build stage and a runtime stage');
  assert.deepEqual([...dockerfile.expose].sort(), ['9090', '9091']);
  assert.ok(dockerfile.user && !/^(0|root)(:|$)/.test(dockerfile.user), `runs as a non-root user, not '${dockerfile.user}'`);
  assert.match(dockerfile.healthcheck, /com\.mentra\.bridge\.server\.HealthProbe/);
  assert.ok(javaClassExists('com.mentra.bridge.server.HealthProbe'));
  assert.equal(dockerfile.entrypoint.at(-1), 'com.mentra.bridge.server.BridgeMain');
  // The bridge's own JVM options (one file for the image, scripts/run.sh and the load tool).
  assert.ok(existsSync(join(root, 'bridge-server/src/main/jvm.options')));
  assert.equal(dockerfile.entrypoint[1], '@/app/jvm.options', 'the image passes the bridge\'s jvm.options first');
  assert.match(read('Dockerfile'), /cp bridge-server\/src\/main\/jvm\.options \/out\/jvm\.options/);
  assert.match(read('Dockerfile'), /^COPY --from=build \/out\/jvm\.options \/app\/jvm\.options$/m);
  assert.match(read('scripts/run.sh'), /@"\$LKB_ROOT\/bridge-server\/src\/main\/jvm\.options"/);
  assert.ok(javaClassExists('com.mentra.bridge.server.BridgeMain'));
  assertBridgeReads(dockerfile.env.keys(), 'Dockerfile ENV');
  for (const [name, value] of dockerfile.env) {
    if (bridge.defaults.has(name)) assert.equal(value, bridge.defaults.get(name), `Dockerfile ENV ${name} differs from the bridge's default`);
  }
  // The allocator scripts/run.sh and the load tool run the bridge on (scripts/lib.sh, bridge_preload).
  assert.match(dockerfile.env.get('LD_PRELOAD') ?? '', /\/libjemalloc\.so\.2$/, 'the image preloads jemalloc');
  assert.match(read('Dockerfile').replace(/\\\n/g, ' '), /apt-get install[^\n]*libjemalloc2/, 'the runtime stage installs jemalloc');
  assert.match(read('scripts/run.sh'), /LD_PRELOAD="\$bridge_ld_preload"/);
  // jemalloc's background thread purges the pages an idle thread freed (scripts/lib.sh, the same).
  assert.match(dockerfile.env.get('MALLOC_CONF') ?? '', /(^|,)background_thread:true(,|$)/, 'the image starts jemalloc\'s background thread');
  assert.match(read('scripts/lib.sh'), /LKB_BRIDGE_MALLOC_CONF="\$\{LKB_BRIDGE_MALLOC_CONF-background_thread:true,max_background_threads:1\}"/);
  assert.match(read('scripts/run.sh'), /MALLOC_CONF="\$LKB_BRIDGE_MALLOC_CONF"/);
  assert.equal(dockerfile.env.get('PORT'), '9090');
  assert.equal(dockerfile.env.get('METRICS_PORT'), '9091');
  for (const secret of ['LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET']) assert.ok(!dockerfile.env.has(secret), `${secret} is not baked into the image`);
  const ignore = read('.dockerignore');
  assert.match(ignore, /^\*$/m, '.dockerignore starts from nothing');
  // Maven reads every module the root POM lists, even for -pl bridge-server: each must reach the build stage.
  const modules = [...read('pom.xml').matchAll(/<module>([^<]+)<\/module>/g)].map((m) => m[1].trim());
  assert.ok(modules.includes('bridge-server'));
  const raw = read('Dockerfile');
  for (const m of modules) {
    assert.match(raw, new RegExp(`^COPY ${m}/pom\\.xml `, 'm'), `the Dockerfile copies ${m}/pom.xml (a module of the root POM)`);
    assert.match(raw, new RegExp(`^COPY ${m}/src/main `, 'm'), `the Dockerfile copies ${m}/src/main`);
    assert.match(ignore, new RegExp(`^!${m}/pom\\.xml$`, 'm'), `.dockerignore lets ${m}/pom.xml in`);
    assert.match(ignore, new RegExp(`^!${m}/src/main/$`, 'm'), `.dockerignore lets ${m}/src/main in`);
  }
});

const classPath = (command) => {
  const i = command.indexOf('-cp');
  return i < 0 ? '' : command[i + 1];
};

test('docker-compose.dev.yml: livekit-server as the tests run it, the bridge on 9090 with a health check', () => {
  const [compose] = yamlDocs('docker-compose.dev.yml');
  const { livekit, bridge: service } = compose.services ?? {};
  assert.ok(livekit && service, 'services livekit and bridge');

  const version = /LIVEKIT_SERVER_VERSION="([^"]+)"/.exec(read('scripts/lib.sh'))[1];
  assert.equal(livekit.image, `livekit/livekit-server:${version}`, 'the official image at the version the tests use');
  const lk = yamlDocs('docker-compose.dev.yml')[0].services.livekit.environment.LIVEKIT_CONFIG;
  const config = parseAllDocuments(lk)[0].toJS();
  assert.equal(config.port, 7880);
  assert.equal(config.rtc.tcp_port, 7881);
  assert.equal(config.rtc.use_external_ip, false);
  assert.equal(config.turn?.enabled, false);
  assert.ok(livekit.ports.includes('7880:7880'), 'signalling on 7880');
  assert.ok(livekit.ports.includes('7881:7881'), 'ICE/TCP on 7881');
  const udp = `${config.rtc.port_range_start}-${config.rtc.port_range_end}`;
  assert.ok(livekit.ports.includes(`${udp}:${udp}/udp`), `ICE/UDP ${udp} published`);
  assert.ok(livekit.healthcheck?.test, 'livekit has a health check');

  assert.equal(service.build?.context, '.');
  assert.ok(existsSync(join(root, service.build.dockerfile ?? 'Dockerfile')));
  const env = service.environment;
  assertBridgeReads(Object.keys(env), 'compose service bridge');
  assert.equal(env.PORT, '9090');
  assert.equal(env.METRICS_PORT, '9091');
  assert.ok(service.ports.includes('9090:9090'), 'gRPC on 9090');
  assert.ok(service.ports.includes('9091:9091'), 'metrics on 9091');
  assert.equal(env.LIVEKIT_URL, `ws://livekit:${config.port}`, 'the bridge reaches the livekit service');
  assert.equal(config.keys[env.LIVEKIT_API_KEY], env.LIVEKIT_API_SECRET, 'the bridge mints tokens with a key pair LiveKit knows');
  assert.ok(env.LIVEKIT_API_SECRET.length >= 32, 'LiveKit wants secrets of at least 32 characters');
  assert.ok(service.depends_on?.livekit, 'the bridge starts after livekit');
  assert.ok(env.BRIDGE_AUTH_TOKENS?.split(',').every((t) => t.trim().length >= 16),
    'a bearer token (the bridge refuses to serve 0.0.0.0 without a credential; tokens of at least 16 characters)');

  const hc = service.healthcheck?.test ?? [];
  assert.equal(hc[0], 'CMD');
  assert.equal(hc.at(-1), 'com.mentra.bridge.server.HealthProbe');
  assert.equal(classPath(hc), classPath(dockerfile.entrypoint), 'the health check uses the image\'s class path');
  const grace = Number(env.SHUTDOWN_GRACE_SECONDS ?? bridge.defaults.get('SHUTDOWN_GRACE_SECONDS'));
  assert.ok(seconds(service.stop_grace_period ?? '10s') > grace, 'stop_grace_period above SHUTDOWN_GRACE_SECONDS');
});

function seconds(duration) {
  const m = /^(\d+)(s|m)?$/.exec(String(duration));
  assert.ok(m, `duration ${duration}`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

const k8sDir = 'deploy/kubernetes';
const manifests = (() => {
  const files = readdirSync(join(root, k8sDir)).filter((f) => /\.ya?ml$/.test(f));
  const docs = [];
  for (const f of files) for (const d of yamlDocs(`${k8sDir}/${f}`)) docs.push({ file: f, doc: d });
  return { files, docs };
})();
const byKind = (kind) => {
  const found = manifests.docs.filter((d) => d.doc.kind === kind).map((d) => d.doc);
  assert.equal(found.length, 1, `exactly one ${kind} in ${k8sDir}`);
  return found[0];
};

test('deploy/kubernetes: every manifest has apiVersion, kind and a name, and kustomization lists them all', () => {
  for (const { file, doc } of manifests.docs) {
    assert.ok(doc.apiVersion, `${file}: apiVersion`);
    assert.ok(doc.kind, `${file}: kind`);
    if (doc.kind !== 'Kustomization') assert.ok(doc.metadata?.name, `${file}: metadata.name`);
  }
  const kustomization = byKind('Kustomization');
  const listed = [...kustomization.resources].sort();
  const examples = manifests.files.filter((f) => f.includes('.example.'));
  assert.deepEqual(listed, manifests.files.filter((f) => !f.startsWith('kustomization') && !examples.includes(f)).sort());
  // A Secret with placeholder values in the kustomization overwrites the real one on every apply.
  const secretFiles = manifests.docs.filter((d) => d.doc.kind === 'Secret').map((d) => d.file);
  for (const f of secretFiles) assert.ok(examples.includes(f) && !listed.includes(f), `${f}: the Secret is an example, not applied`);
});

test('deploy/kubernetes: the Deployment probes grpc.health.v1 on the gRPC port and outlasts the shutdown grace', () => {
  const deployment = byKind('Deployment');
  assert.equal(deployment.apiVersion, 'apps/v1');
  const pod = deployment.spec.template;
  const selector = deployment.spec.selector.matchLabels;
  for (const [k, v] of Object.entries(selector)) assert.equal(pod.metadata.labels[k], v, `selector label ${k}`);
  assert.equal(pod.spec.containers.length, 1);
  const c = pod.spec.containers[0];
  assert.ok(c.image, 'image');

  const env = new Map(c.env.map((e) => [e.name, e]));
  assertBridgeReads(env.keys(), 'Deployment env');
  const value = (n) => env.get(n)?.value ?? bridge.defaults.get(n);
  const port = Number(value('PORT'));
  const metricsPort = Number(value('METRICS_PORT'));
  assert.equal(port, 9090);
  assert.equal(metricsPort, 9091);
  const ports = new Map(c.ports.map((p) => [p.name, p.containerPort]));
  assert.equal(ports.get('grpc'), port, 'containerPort grpc = PORT');
  assert.equal(ports.get('metrics'), metricsPort, 'containerPort metrics = METRICS_PORT');
  assert.ok(!['127.0.0.1', 'localhost', '::1'].includes(value('BIND_ADDRESS')), 'the bridge listens beyond loopback');
  assert.notEqual(String(value('BRIDGE_ALLOW_INSECURE')), 'true', 'no unauthenticated bridge in production');
  assert.ok(!env.has('TLS_CERT_FILE'), 'kubelet\'s gRPC probes speak plaintext: TLS needs exec probes');

  for (const probe of ['readinessProbe', 'livenessProbe']) {
    const p = c[probe];
    assert.ok(p?.grpc, `${probe} is a gRPC (grpc.health.v1) probe`);
    assert.ok(p.grpc.port === port || p.grpc.port === 'grpc', `${probe} on the gRPC port`);
    assert.ok(!p.grpc.service, `${probe} asks for the whole server (service "")`);
  }

  const grace = Number(value('SHUTDOWN_GRACE_SECONDS'));
  assert.ok(pod.spec.terminationGracePeriodSeconds > grace,
    `terminationGracePeriodSeconds ${pod.spec.terminationGracePeriodSeconds} > SHUTDOWN_GRACE_SECONDS ${grace}`);

  assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, 'CPU and memory requests');
  assert.ok(c.resources?.limits?.memory, 'a memory limit');
  assert.ok(mebibytes(c.resources.limits.memory) >= mebibytes(c.resources.requests.memory), 'limit >= request');

  const uid = Number(dockerfile.user.split(':')[0]);
  assert.equal(pod.spec.securityContext.runAsNonRoot, true);
  assert.equal(pod.spec.securityContext.runAsUser, uid, 'the image\'s user');
  if (c.securityContext?.readOnlyRootFilesystem) {
    assert.ok(c.volumeMounts?.some((m) => m.mountPath === '/tmp'), 'a writable /tmp (webrtc-java unpacks its native library there)');
  }

  const secret = byKind('Secret');
  for (const n of ['BRIDGE_AUTH_TOKENS', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET']) {
    const ref = env.get(n)?.valueFrom?.secretKeyRef;
    assert.ok(ref, `${n} comes from the Secret`);
    assert.equal(ref.name, secret.metadata.name);
    assert.ok(ref.key in (secret.stringData ?? secret.data ?? {}), `the Secret holds ${ref.key}`);
  }
  assert.ok(value('LIVEKIT_URL'), 'LIVEKIT_URL');
});

function mebibytes(q) {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  assert.ok(m, `memory quantity ${q}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

test('deploy/kubernetes: a headless Service for the address list, a PodDisruptionBudget, the Secret', () => {
  const deployment = byKind('Deployment');
  const podLabels = deployment.spec.template.metadata.labels;
  const containerPorts = new Map(deployment.spec.template.spec.containers[0].ports.map((p) => [p.name, p.containerPort]));

  const service = byKind('Service');
  assert.equal(service.spec.clusterIP, 'None', 'headless: DNS answers every ready pod');
  for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(podLabels[k], v, `Service selector ${k}`);
  const grpc = service.spec.ports.find((p) => p.name === 'grpc');
  assert.equal(grpc?.port, 9090);
  assert.equal(containerPorts.get(grpc.targetPort) ?? grpc.targetPort, 9090);
  assert.equal(service.spec.ports.find((p) => p.name === 'metrics')?.port, 9091);
  assert.notEqual(service.spec.publishNotReadyAddresses, true, 'only ready bridges are listed');

  const pdb = byKind('PodDisruptionBudget');
  assert.equal(pdb.apiVersion, 'policy/v1');
  for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels)) assert.equal(podLabels[k], v, `PDB selector ${k}`);
  const replicas = deployment.spec.replicas;
  if (pdb.spec.maxUnavailable !== undefined) assert.ok(pdb.spec.maxUnavailable >= 1 && pdb.spec.maxUnavailable < replicas);
  else assert.ok(pdb.spec.minAvailable >= 1 && pdb.spec.minAvailable < replicas, 'drains can proceed and one bridge stays');

  const secret = byKind('Secret');
  const keys = Object.keys(secret.stringData ?? secret.data ?? {});
  for (const k of ['LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET', 'BRIDGE_AUTH_TOKENS']) assert.ok(keys.includes(k), `Secret holds ${k}`);
});
