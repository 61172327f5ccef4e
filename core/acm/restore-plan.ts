import { BACKUP_LABEL, type AcmBackupType } from './backup-selection.js';

/**
 * The plan of an ACM hub restore onto a new hub, as the cluster-backup-operator orders it
 * (../shared/research/acm-backup-notes.md, sections 3.2 to 3.5, and the preset of section 6): which backup each type
 * comes from (latest, skip or a name, each type on its own), then six restore steps, each a resource restore of one
 * backup with an extra label term, the activation data last. A pure function of the request and the catalog of the
 * hub's backups. workflows/acm-restore.ts runs it.
 */

/** `latest`, `skip`, or a backup name of that type. */
export type AcmChoice = string;
export type CleanupMode = 'none' | 'restored' | 'all';

export interface AcmRestoreRequest {
  credentials: AcmChoice;
  resources: AcmChoice;
  managedClusters: AcmChoice;
  cleanup: CleanupMode;
  /** `all` deletes what users made on this hub too: it needs this, as the operator needs its annotation. */
  cleanupAllConfirmed?: boolean;
  /** Passive sync: keep restoring newer credentials and resources backups until activation. */
  sync?: boolean;
}

/** A typed backup of the source hub, as the catalog lists it. */
export interface HubBackup {
  name: string;
  type: AcmBackupType;
  /** The set it was made in (the schedule's nominal time, shared by the types of one run). */
  set: string;
  /** The id of the hub that wrote it. */
  hub?: string;
  startedAt: string;
  /** Lifeboat's resource-backup outcomes; only the Completed ones (with warnings or errors too) are restorable. */
  outcome: string;
}

/** One restore step: a resource restore of `backup` with the selector term ANDed into the user's selectors. */
export interface AcmRestoreStep {
  step: 'credentials' | 'resources' | 'generic' | 'generic-active' | 'credentials-active' | 'managed-clusters';
  backup: string;
  /** `cluster.open-cluster-management.io/backup notin (cluster-activation)` and the like; none for whole backups. */
  selector?: string;
  includeClusterResources: boolean;
  /** The credentials-active step waits for the PVCs that `backup-pvc` ConfigMaps name before managed clusters come. */
  waitForBackupPvcs: boolean;
  /** This step makes the new hub take its clusters over: gated (approval, the old hub's liveness). */
  activation: boolean;
}

export interface AcmRestorePlan {
  backups: Record<'credentials' | 'resources' | 'generic' | 'managedClusters', string | undefined>;
  steps: AcmRestoreStep[];
  /** Not errors: what a person should know (backups of different sets, a generic backup not found). */
  warnings: string[];
}

export interface AcmPlanIssue {
  flag: string;
  message: string;
}

export type AcmPlanResult = { ok: true; plan: AcmRestorePlan } | { ok: false; issues: AcmPlanIssue[] };

/** Never applied by an ACM restore, whatever the backup holds (the operator's list, 5.0). */
export const NEVER_RESTORED_BY_ACM: readonly string[] = [
  'customresourcedefinitions.apiextensions.k8s.io',
  'roles.rbac.authorization.k8s.io',
  'rolebindings.rbac.authorization.k8s.io',
  'clusterroles.rbac.authorization.k8s.io',
  'clusterrolebindings.rbac.authorization.k8s.io',
  'mutatingwebhookconfigurations.admissionregistration.k8s.io',
  'validatingwebhookconfigurations.admissionregistration.k8s.io',
  'validatingadmissionpolicies.admissionregistration.k8s.io',
  'validatingadmissionpolicybindings.admissionregistration.k8s.io',
];

const ACTIVATION_VALUE = 'cluster-activation';
const PASSIVE = `${BACKUP_LABEL} notin (${ACTIVATION_VALUE})`;
const ACTIVE = `${BACKUP_LABEL} in (${ACTIVATION_VALUE})`;
/** How far a generic backup's start may be from its resources backup's and still belong to it (the operator's ±30 s). */
const SAME_RUN_MS = 30_000;

const FLAGS = {
  credentials: '--credentials',
  resources: '--resources',
  managedClusters: '--managed-clusters',
} as const;
const TYPE_OF = {
  credentials: 'credentials',
  resources: 'resources',
  managedClusters: 'managed-clusters',
} as const satisfies Record<keyof typeof FLAGS, AcmBackupType>;

const restorable = (b: HubBackup) => b.outcome.startsWith('Completed');
const newestFirst = (a: HubBackup, b: HubBackup) => Date.parse(b.startedAt) - Date.parse(a.startedAt);
const normalized = (choice: string) => choice.trim().toLowerCase();

function choose(
  field: keyof typeof FLAGS,
  choice: AcmChoice,
  catalog: HubBackup[],
  issues: AcmPlanIssue[],
): HubBackup | undefined {
  const type = TYPE_OF[field];
  const wanted = normalized(choice);
  if (wanted === 'skip') return undefined;
  const ofType = catalog.filter((b) => b.type === type && restorable(b)).sort(newestFirst);
  if (wanted === 'latest') {
    if (ofType[0]) return ofType[0];
    issues.push({
      flag: FLAGS[field],
      message: `the hub has no complete ${type} backup to take as latest; use skip, or back the hub up first`,
    });
    return undefined;
  }
  const named = ofType.find((b) => b.name.toLowerCase() === wanted);
  if (named) return named;
  const other = catalog.find((b) => b.name.toLowerCase() === wanted);
  issues.push({
    flag: FLAGS[field],
    message: other
      ? `${choice.trim()} is a ${other.type} backup${restorable(other) ? '' : ` (${other.outcome})`}, not a complete ${type} backup; name one of that type, or use latest or skip`
      : `${choice.trim()} is neither latest, skip nor a ${type} backup of this hub; see lifeboat backups list -k resources`,
  });
  return undefined;
}

/** The generic backup made with the resources backup: same set, else the one started within 30 s of it. */
function genericFor(resources: HubBackup, catalog: HubBackup[]): HubBackup | undefined {
  const generic = catalog.filter((b) => b.type === 'resources-generic' && restorable(b));
  return (
    generic.find((b) => b.set === resources.set) ??
    generic.find((b) => Math.abs(Date.parse(b.startedAt) - Date.parse(resources.startedAt)) <= SAME_RUN_MS)
  );
}

/** What is wrong with a request whatever the catalog holds: the CLI asks before it starts anything, the plan again. */
export function requestIssues(request: AcmRestoreRequest): AcmPlanIssue[] {
  const issues: AcmPlanIssue[] = [];
  const choices = [request.credentials, request.resources, request.managedClusters].map(normalized);
  if (choices.every((c) => c === 'skip')) {
    issues.push({
      flag: '--credentials, --resources, --managed-clusters',
      message: 'all three are skip, so there is nothing to restore; choose latest or a backup name for at least one',
    });
  }
  if (request.sync) {
    const [credentials, resources, managed] = choices;
    if (credentials !== 'latest' || resources !== 'latest') {
      issues.push({
        flag: '--sync',
        message: 'a sync restores newer backups as they come, so it needs --credentials latest and --resources latest',
      });
    }
    if (managed !== 'skip' && managed !== 'latest') {
      issues.push({
        flag: '--sync',
        message:
          'a sync restores a named managed-clusters backup never; use --managed-clusters skip (activate later) or latest',
      });
    }
  }
  if (request.cleanup === 'all' && !request.cleanupAllConfirmed) {
    issues.push({
      flag: '--cleanup-before-restore',
      message:
        'all deletes every object of the backed-up kinds that this restore did not bring, including what users made on this hub; confirm it (--yes-delete-unrestored) or use restored',
    });
  }
  return issues;
}

export function planAcmRestore(request: AcmRestoreRequest, catalog: HubBackup[]): AcmPlanResult {
  const issues = requestIssues(request);
  const credentials = choose('credentials', request.credentials, catalog, issues);
  const resources = choose('resources', request.resources, catalog, issues);
  const managed = choose('managedClusters', request.managedClusters, catalog, issues);
  if (issues.length > 0) return { ok: false, issues };

  const warnings: string[] = [];
  const generic = resources ? genericFor(resources, catalog) : undefined;
  if (resources && !generic) {
    warnings.push(`no resources-generic backup belongs to ${resources.name}: its generic objects are not restored`);
  }
  const chosen = [credentials, resources, managed].filter((b) => b !== undefined);
  const sets = [...new Set(chosen.map((b) => b.set))];
  if (sets.length > 1) {
    warnings.push(
      `the backups come from different runs (${chosen.map((b) => `${b.type} ${b.name}`).join(', ')}): objects that changed between them may not match`,
    );
  }

  const steps: AcmRestoreStep[] = [];
  const add = (
    step: AcmRestoreStep['step'],
    backup: HubBackup | undefined,
    extra: Partial<
      Pick<AcmRestoreStep, 'selector' | 'waitForBackupPvcs' | 'activation' | 'includeClusterResources'>
    > = {},
  ) => {
    if (!backup) return;
    steps.push({
      step,
      backup: backup.name,
      includeClusterResources: true,
      waitForBackupPvcs: false,
      activation: false,
      ...extra,
    });
  };
  add('credentials', credentials, { selector: PASSIVE, includeClusterResources: false });
  add('resources', resources);
  add('generic', generic, { selector: PASSIVE });
  if (managed) {
    add('generic-active', generic, { selector: ACTIVE, activation: true });
    add('credentials-active', credentials, {
      selector: ACTIVE,
      includeClusterResources: false,
      waitForBackupPvcs: true,
      activation: true,
    });
    add('managed-clusters', managed, { activation: true });
  }
  return {
    ok: true,
    plan: {
      backups: {
        credentials: credentials?.name,
        resources: resources?.name,
        generic: generic?.name,
        managedClusters: managed?.name,
      },
      steps,
      warnings,
    },
  };
}
