/**
 * Throwaway OpenLDAP servers for the certificate directory (issue 8): tests, `.ci/run` and local
 * experiments start slapd (Debian's `slapd` package, OpenLDAP 2.5) as the current user on
 * 127.0.0.1 and a free high port, with a slapd.conf-style configuration, the airshake schema and an
 * mdb database in a temporary directory. Nothing touches /etc/ldap or the system slapd (which
 * listens on 389, if it runs at all).
 *
 * Schema: RFC 4523 (`pkiUser`/`userCertificate;binary`, `pkiCA`/`cACertificate`,
 * `certificateRevocationList`) from core.schema, plus AIRSHAKE_SCHEMA below. See docs/DIRECTORY.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian keeps slapd, its modules and its schema files. */
export const SLAPD_PATHS = {
  slapd: process.env.AIRSHAKE_SLAPD ?? '/usr/sbin/slapd',
  slapadd: process.env.AIRSHAKE_SLAPADD ?? '/usr/sbin/slapadd',
  modules: process.env.AIRSHAKE_SLAPD_MODULES ?? '/usr/lib/ldap',
  schema: process.env.AIRSHAKE_SLAPD_SCHEMA ?? '/etc/ldap/schema',
};

export const INSTALL_HINT = 'apt-get install slapd ldap-utils';

/** Why slapd cannot run here (missing binary, module or schema file), or null when it can. */
export function slapdProblem(): string | null {
  const need = [
    SLAPD_PATHS.slapd,
    SLAPD_PATHS.slapadd,
    join(SLAPD_PATHS.modules, 'back_mdb.so'),
    join(SLAPD_PATHS.modules, 'syncprov.so'),
    ...['core', 'cosine', 'inetorgperson'].map((s) => join(SLAPD_PATHS.schema, `${s}.schema`)),
  ];
  const missing = need.filter((p) => !existsSync(p));
  return missing.length ? `OpenLDAP is not installed (missing ${missing.join(', ')}): ${INSTALL_HINT}` : null;
}

/**
 * The airshake schema. OIDs sit under 1.3.6.1.4.1.55555.8, a PLACEHOLDER private arc (not
 * registered to this project): replace it with an IANA Private Enterprise Number before the schema
 * meets a directory shared with anything else. .1.x attribute types, .2.x object classes.
 *
 * Handset certificates are entries `airshakeIdA=<16 hex digits>,ou=certificates,<suffix>` of the
 * structural class airshakeHandsetCertificate plus RFC 4523's auxiliary pkiUser. The ID is the RDN,
 * so the directory itself refuses a second entry with the same ID (enrol's collision check is an
 * atomic add). Revocation state lives on the entry; airshakeRevocationSeq is a positive integer,
 * allocated from the counter entry `cn=revocation-seq,<suffix>` by compare-and-swap, that orders
 * revocations so that a poller asks "(airshakeRevocationSeq>=N+1)".
 */
export const AIRSHAKE_SCHEMA = `# airshake certificate directory schema (docs/DIRECTORY.md)
# 1.3.6.1.4.1.55555.8 is a PLACEHOLDER private arc, not a registered enterprise number.
objectidentifier airshake 1.3.6.1.4.1.55555.8
objectidentifier airshakeAT airshake:1
objectidentifier airshakeOC airshake:2

attributetype ( airshakeAT:1 NAME 'airshakeIdA'
	DESC 'ID_A: first 8 bytes of SHA-256 over the certificate SPKI, 16 lowercase hex digits'
	EQUALITY caseIgnoreIA5Match
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.26{16} SINGLE-VALUE )
attributetype ( airshakeAT:2 NAME 'airshakeSubject'
	DESC 'certificate subject as node:crypto renders it, e.g. CN=handset-0001'
	EQUALITY caseExactMatch
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( airshakeAT:3 NAME 'airshakeNotBefore'
	DESC 'certificate notBefore, Unix seconds'
	EQUALITY integerMatch ORDERING integerOrderingMatch
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( airshakeAT:4 NAME 'airshakeNotAfter'
	DESC 'certificate notAfter, Unix seconds'
	EQUALITY integerMatch ORDERING integerOrderingMatch
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( airshakeAT:5 NAME 'airshakeEnrolledAt'
	DESC 'enrolment time, Unix seconds'
	EQUALITY integerMatch ORDERING integerOrderingMatch
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( airshakeAT:6 NAME 'airshakeRevokedAt'
	DESC 'revocation time, Unix seconds; absent while the certificate is valid'
	EQUALITY integerMatch ORDERING integerOrderingMatch
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( airshakeAT:7 NAME 'airshakeRevocationReason'
	DESC 'free-text revocation reason'
	EQUALITY caseExactMatch
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( airshakeAT:8 NAME 'airshakeRevocationSeq'
	DESC 'revocation sequence number (> 0), increasing in revocation order'
	EQUALITY integerMatch ORDERING integerOrderingMatch
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( airshakeAT:9 NAME 'airshakeHandset'
	DESC 'handset group: certificates enrolled together share it (the first certificate ID)'
	EQUALITY caseIgnoreIA5Match
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.26{64} SINGLE-VALUE )
attributetype ( airshakeAT:10 NAME 'airshakeSeqCounter'
	DESC 'highest revocation sequence number allocated'
	EQUALITY integerMatch ORDERING integerOrderingMatch
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )

objectclass ( airshakeOC:1 NAME 'airshakeHandsetCertificate'
	DESC 'an enrolled handset certificate; combine with pkiUser for userCertificate;binary'
	SUP top STRUCTURAL
	MUST ( airshakeIdA $ userCertificate $ airshakeEnrolledAt )
	MAY ( airshakeSubject $ airshakeNotBefore $ airshakeNotAfter $ airshakeRevokedAt $
		airshakeRevocationReason $ airshakeRevocationSeq $ airshakeHandset ) )
objectclass ( airshakeOC:2 NAME 'airshakeCounter'
	DESC 'a sequence counter, incremented by compare-and-swap (delete old value, add new)'
	SUP top STRUCTURAL
	MUST ( cn $ airshakeSeqCounter ) )
`;

export const DEFAULT_SUFFIX = 'o=airshake';
export const DEFAULT_ROOT_PW = 'airshake-test-only';

/** The entries every store needs: the suffix, ou=certificates, the CA entry's parent and the seq counter. */
export function baseLdif(suffix: string = DEFAULT_SUFFIX): string {
  const o = /^o=([^,]+)$/.exec(suffix)?.[1];
  if (!o) throw new RangeError(`suffix must be a single o=NAME RDN, got ${suffix}`);
  return [
    `dn: ${suffix}`, 'objectClass: organization', `o: ${o}`, '',
    `dn: ou=certificates,${suffix}`, 'objectClass: organizationalUnit', 'ou: certificates', '',
    `dn: cn=revocation-seq,${suffix}`, 'objectClass: airshakeCounter', 'cn: revocation-seq', 'airshakeSeqCounter: 0', '',
  ].join('\n');
}

export interface SlapdOptions {
  /** Data and config directory; default a fresh mkdtemp under the OS temp dir (removed by stop()). */
  dir?: string;
  /** Port on 127.0.0.1; default a free one. */
  port?: number;
  suffix?: string;
  rootPw?: string;
  /** Load syncprov on this database so consumers can replicate from it. */
  provider?: boolean;
  /** Replicate the suffix from this provider (refreshAndPersist syncrepl); the database starts empty. */
  consumerOf?: Slapd;
  /** Multi-provider: this node's serverID (1..4095) and its peers' URLs; implies provider. */
  multiProvider?: { serverId: number; peers: string[] };
  /** slapd -d level for the log (stderr goes to DIR/slapd.log); default 0. */
  debug?: number | string;
  /** How long start() waits for slapd to accept connections, ms; default 10000. */
  readyTimeoutMs?: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      c.destroy();
      resolve(ok);
    };
    c.setTimeout(500, () => done(false));
    c.once('connect', () => done(true));
    c.once('error', () => done(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Running slapd children, killed when this process exits so a crashed test leaves none behind. */
const running = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
}

/** One slapd process with its own directory. */
export class Slapd {
  readonly dir: string;
  readonly port: number;
  readonly suffix: string;
  readonly rootDn: string;
  readonly rootPw: string;
  readonly url: string;
  readonly confPath: string;
  readonly logPath: string;
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly ownsDir: boolean;

  private constructor(dir: string, ownsDir: boolean, port: number, private readonly opts: SlapdOptions) {
    this.dir = dir;
    this.ownsDir = ownsDir;
    this.port = port;
    this.suffix = opts.suffix ?? DEFAULT_SUFFIX;
    this.rootDn = `cn=admin,${this.suffix}`;
    this.rootPw = opts.rootPw ?? DEFAULT_ROOT_PW;
    this.url = `ldap://127.0.0.1:${port}`;
    this.confPath = join(dir, 'slapd.conf');
    this.logPath = join(dir, 'slapd.log');
  }

  /** Write the configuration (and, unless a consumer, the base entries via slapadd), then start slapd. */
  static async start(opts: SlapdOptions = {}): Promise<Slapd> {
    const problem = slapdProblem();
    if (problem) throw new Error(problem);
    const ownsDir = opts.dir === undefined;
    const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'airshake-slapd-'));
    const s = new Slapd(dir, ownsDir, opts.port ?? (await freePort()), opts);
    try {
      s.writeConfig();
      await s.startProcess();
      return s;
    } catch (e) {
      await s.stop();
      throw e;
    }
  }

  /** A provider and a consumer replicating the suffix (syncprov + refreshAndPersist syncrepl). */
  static async startPair(opts: Omit<SlapdOptions, 'provider' | 'consumerOf' | 'dir' | 'port' | 'multiProvider'> = {}): Promise<{ provider: Slapd; consumer: Slapd }> {
    const provider = await Slapd.start({ ...opts, provider: true });
    try {
      const consumer = await Slapd.start({ ...opts, consumerOf: provider });
      return { provider, consumer };
    } catch (e) {
      await provider.stop();
      throw e;
    }
  }

  /** Two (or more) multi-provider nodes replicating each other; writes are accepted on every node. */
  static async startMultiProvider(n = 2, opts: Omit<SlapdOptions, 'provider' | 'consumerOf' | 'dir' | 'port' | 'multiProvider'> = {}): Promise<Slapd[]> {
    const ports: number[] = [];
    while (ports.length < n) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const nodes: Slapd[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const peers = ports.filter((_, j) => j !== i).map((p) => `ldap://127.0.0.1:${p}`);
        nodes.push(await Slapd.start({ ...opts, port: ports[i], multiProvider: { serverId: i + 1, peers } }));
      }
      return nodes;
    } catch (e) {
      for (const s of nodes) await s.stop();
      throw e;
    }
  }

  get running(): boolean {
    return this.proc !== null;
  }

  private writeConfig(): void {
    const db = join(this.dir, 'db');
    mkdirSync(db, { recursive: true });
    writeFileSync(join(this.dir, 'airshake.schema'), AIRSHAKE_SCHEMA);
    const o = this.opts;
    const provider = o.provider || !!o.multiProvider;
    const lines = [
      '# throwaway slapd for airshake tests (host/store/slapd.ts); not for production',
      ...['core', 'cosine', 'inetorgperson'].map((n) => `include ${join(SLAPD_PATHS.schema, `${n}.schema`)}`),
      `include ${join(this.dir, 'airshake.schema')}`,
      `pidfile ${join(this.dir, 'slapd.pid')}`,
      `argsfile ${join(this.dir, 'slapd.args')}`,
      `modulepath ${SLAPD_PATHS.modules}`,
      'moduleload back_mdb',
      ...(provider ? ['moduleload syncprov'] : []),
      ...(o.multiProvider ? [`serverID ${o.multiProvider.serverId}`] : []),
      'sizelimit unlimited',
      '',
      'database mdb',
      `suffix "${this.suffix}"`,
      `rootdn "${this.rootDn}"`,
      `rootpw ${this.rootPw}`,
      `directory ${db}`,
      'maxsize 268435456',
      'index objectClass eq',
      'index airshakeIdA eq',
      'index airshakeRevocationSeq eq,pres',
      'index airshakeHandset eq',
      'index entryCSN,entryUUID eq',
      // Anyone may read (B's lookups may bind anonymously); only the rootdn writes.
      'access to * by * read',
    ];
    if (o.consumerOf) {
      const p = o.consumerOf;
      lines.push(
        `syncrepl rid=001 provider=${p.url} type=refreshAndPersist retry="1 +"`,
        `  searchbase="${this.suffix}" bindmethod=simple binddn="${p.rootDn}" credentials=${p.rootPw}`,
        '  timeout=2 network-timeout=2 keepalive=30:3:10',
        `updateref ${p.url}`,
      );
    }
    if (o.multiProvider) {
      o.multiProvider.peers.forEach((peer, i) =>
        lines.push(
          `syncrepl rid=${String(i + 1).padStart(3, '0')} provider=${peer} type=refreshAndPersist retry="1 +"`,
          `  searchbase="${this.suffix}" bindmethod=simple binddn="${this.rootDn}" credentials=${this.rootPw}`,
          '  timeout=2 network-timeout=2 keepalive=30:3:10',
        ),
      );
      lines.push('multiprovider on');
    }
    if (provider) lines.push('overlay syncprov', 'syncprov-checkpoint 100 1', 'syncprov-sessionlog 1000');
    writeFileSync(this.confPath, lines.join('\n') + '\n');

    // Load the base entries once, offline, unless this node gets them by replication.
    if (!o.consumerOf && !existsSync(join(this.dir, 'base-loaded'))) {
      if (!(o.multiProvider && o.multiProvider.serverId !== 1)) {
        const ldif = join(this.dir, 'base.ldif');
        writeFileSync(ldif, baseLdif(this.suffix));
        const r = spawnSync(SLAPD_PATHS.slapadd, ['-f', this.confPath, '-l', ldif, ...(o.multiProvider ? ['-w'] : [])], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`slapadd failed (${r.status}): ${r.stderr || r.stdout || r.error?.message}`);
      }
      writeFileSync(join(this.dir, 'base-loaded'), '');
    }
  }

  /**
   * Start (or, after kill(), start again) slapd on this instance's port and data directory, and
   * wait until it accepts connections.
   */
  async startProcess(): Promise<void> {
    if (this.proc) return;
    const log = openSync(this.logPath, 'a');
    const child = spawn(
      SLAPD_PATHS.slapd,
      ['-f', this.confPath, '-h', `${this.url}/`, '-d', String(this.opts.debug ?? 0)],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    track(child);
    this.proc = child;
    let exitInfo: string | null = null;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = `code ${code} signal ${signal}`;
        if (this.proc === child) this.proc = null;
        resolve();
      });
      child.once('error', (e) => {
        exitInfo = e.message;
        if (this.proc === child) this.proc = null;
        resolve();
      });
    });
    const deadline = Date.now() + (this.opts.readyTimeoutMs ?? 10000);
    for (;;) {
      if (exitInfo !== null) throw new Error(`slapd exited during start (${exitInfo}); log ${this.logPath}:\n${this.tailLog()}`);
      if (await canConnect(this.port)) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`slapd did not accept connections on ${this.url} within ${this.opts.readyTimeoutMs ?? 10000} ms; log:\n${this.tailLog()}`);
      }
      await sleep(50);
    }
  }

  /**
   * A hung directory: SIGSTOP, then wait until every thread of slapd is stopped (Linux
   * /proc/PID/task/TID/stat), since kill() returns before a thread running on another core has
   * stopped, and such a thread could still answer a request sent right after. resume() undoes it.
   */
  async pause(): Promise<void> {
    const pid = this.proc?.pid;
    if (pid === undefined) throw new Error('slapd is not running');
    this.proc!.kill('SIGSTOP');
    const deadline = Date.now() + 5000;
    for (;;) {
      let tids: string[] = [];
      try {
        tids = readdirSync(`/proc/${pid}/task`);
      } catch {
        return; // no /proc (not Linux) or the process is gone: nothing more to wait for
      }
      const stopped = tids.every((tid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
          const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
          return state === 'T' || state === 't';
        } catch {
          return true; // the thread exited
        }
      });
      if (stopped) return;
      if (Date.now() > deadline) throw new Error(`slapd (pid ${pid}) did not stop within 5 s of SIGSTOP`);
      await sleep(1);
    }
  }

  resume(): boolean {
    return this.signal('SIGCONT');
  }

  /** Send a signal to the running slapd (e.g. SIGSTOP/SIGCONT to simulate a hung directory); false when not running. */
  signal(sig: NodeJS.Signals): boolean {
    return this.proc?.kill(sig) ?? false;
  }

  /** Stop the process (SIGTERM, then SIGKILL after 5 s) and keep the data directory: an outage. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    p.kill('SIGCONT'); // in case it was stopped
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }

  /** Stop the process and remove the directory if start() created it. */
  async stop(): Promise<void> {
    await this.kill();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  tailLog(lines = 30): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
