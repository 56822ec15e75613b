/**
 * RuleSource: the monitor's current rule set, kept up to date while it runs. Rules come from
 * the registry in Redis (`provstream rules add|remove`, rule-registry.ts) and, optionally, a rule
 * file (MONITOR_RULES_FILE, for rules kept in version control). Every `pollMs` it checks the
 * registry's change counter and the file's modification time and reloads on a change; a batch
 * in progress keeps the set it started with.
 *
 * A file that does not parse, or a stored rule that no longer validates, is reported and left
 * out: the previous good file content stays in force, and the other rules keep running. A rule
 * id defined in both places runs the file's definition.
 */
import { readFile, stat } from 'node:fs/promises';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { formatIssue, hasTimers, parseRules, ruleFormatOf } from './core/index.js';
import type { Rule } from './core/index.js';
import { RuleIndex } from './rule-index.js';
import { rulesFromStored } from './rule-registry.js';
import type { RuleRegistry } from './rule-registry.js';

export const RULES_LOG = { loaded: 'monitor.rules.loaded', invalid: 'monitor.rules.invalid' } as const;

export class RuleSet {
  readonly index: RuleIndex;
  /** Enabled rules with timers (absence), for ticks. */
  readonly timed: readonly Rule[];
  /** The rules by id (alerts name their rule; delivery needs its webhook URLs). */
  readonly byId: ReadonlyMap<string, Rule>;
  /** Enabled taint rules (the processor looks for their flags when a graph service is configured). */
  readonly taint: readonly Rule[];
  constructor(readonly rules: readonly Rule[]) {
    this.index = new RuleIndex(rules);
    this.taint = rules.filter((r) => r.enabled && r.kind === 'taint');
    this.byId = new Map(rules.map((r) => [r.id, r]));
    this.timed = rules.filter(hasTimers);
  }
}

export class RuleSource {
  private set = new RuleSet([]);
  private registryVersion = -1;
  private fileMtime = -1;
  private fileRules: Rule[] = [];
  private storedRules: Rule[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: RuleRegistry,
    private readonly rulesFile: string | null,
    private readonly pollMs: number,
    private readonly log: Logger,
  ) {}

  current(): RuleSet {
    return this.set;
  }

  /** Loads once (throws when the registry is unreachable), then keeps polling until stop(). */
  async start(): Promise<void> {
    await this.refresh();
    const loop = () => {
      this.timer = setTimeout(() => {
        this.refresh().catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'could not refresh the rules; keeping the current set')).finally(loop);
      }, this.pollMs);
      this.timer.unref();
    };
    loop();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reloads whatever changed; returns true when the rule set changed. */
  async refresh(): Promise<boolean> {
    let changed = false;
    const version = await this.registry.version();
    if (version !== this.registryVersion) {
      const { rules, errors } = rulesFromStored(await this.registry.list());
      for (const e of errors) this.log.error({ event: RULES_LOG.invalid, ruleId: e.id, err: e.message }, `stored rule ${e.id} is invalid and is not evaluated`);
      this.storedRules = rules;
      this.registryVersion = version;
      changed = true;
    }
    if (this.rulesFile) changed = (await this.refreshFile(this.rulesFile)) || changed;
    if (changed) {
      const ids = new Set(this.fileRules.map((r) => r.id));
      const shadowed = this.storedRules.filter((r) => ids.has(r.id));
      if (shadowed.length) this.log.warn({ ruleIds: shadowed.map((r) => r.id) }, 'rules defined both in the rules file and the registry: the file wins');
      const next = new RuleSet([...this.fileRules, ...this.storedRules.filter((r) => !ids.has(r.id))]);
      const before = new Set(this.set.rules.map((r) => r.id));
      const after = new Set(next.rules.map((r) => r.id));
      this.log.info(
        { event: RULES_LOG.loaded, rules: next.rules.length, enabled: next.rules.filter((r) => r.enabled).length, added: [...after].filter((id) => !before.has(id)), removed: [...before].filter((id) => !after.has(id)) },
        'rule set loaded',
      );
      this.set = next;
    }
    return changed;
  }

  private async refreshFile(path: string): Promise<boolean> {
    let mtime: number;
    try {
      mtime = (await stat(path)).mtimeMs;
    } catch (err) {
      if (this.fileMtime !== 0) this.log.error({ event: RULES_LOG.invalid, file: path, err: errorMessage(err) }, 'cannot read the rules file (MONITOR_RULES_FILE)');
      const changed = this.fileRules.length > 0;
      this.fileMtime = 0;
      this.fileRules = [];
      return changed;
    }
    if (mtime === this.fileMtime) return false;
    this.fileMtime = mtime;
    const parsed = parseRules(await readFile(path, 'utf8'), ruleFormatOf(path));
    if (!parsed.ok) {
      this.log.error({ event: RULES_LOG.invalid, file: path, problems: parsed.errors.map(formatIssue) }, 'the rules file is invalid; keeping its previous rules');
      return false;
    }
    this.fileRules = parsed.value;
    return true;
  }
}
