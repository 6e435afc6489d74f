//! Policy tiers, kinds, enforcement levels and check states in words and tones;
//! money as a decimal amount and a currency; a scope in words.
import { type common, policy } from "@canopy/sdk";
import type { StatusTone } from "../components/status-badge";

const TIER: Record<policy.PolicyTier, string> = {
  [policy.PolicyTier.UNSPECIFIED]: "Unknown",
  [policy.PolicyTier.PLATFORM]: "Platform",
  [policy.PolicyTier.CUSTOMER]: "Customer",
};
export const tierLabel = (tier: policy.PolicyTier): string => TIER[tier] ?? TIER[policy.PolicyTier.UNSPECIFIED];

const KIND: Record<policy.PolicyKind, string> = {
  [policy.PolicyKind.UNSPECIFIED]: "Unknown",
  [policy.PolicyKind.RESOURCE_LIMITS]: "Resource limits",
  [policy.PolicyKind.SECURITY]: "Security",
  [policy.PolicyKind.COST]: "Cost",
  [policy.PolicyKind.CUSTOM]: "Custom (Rego)",
};
export const kindLabel = (kind: policy.PolicyKind): string => KIND[kind] ?? KIND[policy.PolicyKind.UNSPECIFIED];

const LEVEL: Record<policy.EnforcementLevel, [string, StatusTone]> = {
  [policy.EnforcementLevel.UNSPECIFIED]: ["Unknown", "neutral"],
  [policy.EnforcementLevel.ADVISORY]: ["Advisory", "neutral"],
  [policy.EnforcementLevel.SOFT_MANDATORY]: ["Soft-mandatory", "warning"],
  [policy.EnforcementLevel.HARD_MANDATORY]: ["Hard-mandatory", "danger"],
};
export function enforcementLevel(level: policy.EnforcementLevel): { label: string; tone: StatusTone } {
  const [label, tone] = LEVEL[level] ?? LEVEL[policy.EnforcementLevel.UNSPECIFIED];
  return { label, tone };
}

/** The levels an author may choose: customers get advisory and soft-mandatory only. */
export function enforcementOptions(customer: boolean): { value: string; label: string }[] {
  const levels = [policy.EnforcementLevel.ADVISORY, policy.EnforcementLevel.SOFT_MANDATORY, ...(customer ? [] : [policy.EnforcementLevel.HARD_MANDATORY])];
  return levels.map((level) => ({ value: String(level), label: LEVEL[level][0] }));
}

/** `?kind=` values. */
export const KIND_FILTERS: { value: string; label: string; kind: policy.PolicyKind }[] = [
  { value: "resource-limits", label: KIND[policy.PolicyKind.RESOURCE_LIMITS], kind: policy.PolicyKind.RESOURCE_LIMITS },
  { value: "security", label: KIND[policy.PolicyKind.SECURITY], kind: policy.PolicyKind.SECURITY },
  { value: "cost", label: KIND[policy.PolicyKind.COST], kind: policy.PolicyKind.COST },
  { value: "custom", label: KIND[policy.PolicyKind.CUSTOM], kind: policy.PolicyKind.CUSTOM },
];
export const kindFromName = (name: string): policy.PolicyKind => KIND_FILTERS.find((f) => f.value === name)?.kind ?? policy.PolicyKind.UNSPECIFIED;

/** `?level=` values. */
export const LEVEL_FILTERS: { value: string; label: string; level: policy.EnforcementLevel }[] = [
  { value: "advisory", label: LEVEL[policy.EnforcementLevel.ADVISORY][0], level: policy.EnforcementLevel.ADVISORY },
  { value: "soft-mandatory", label: LEVEL[policy.EnforcementLevel.SOFT_MANDATORY][0], level: policy.EnforcementLevel.SOFT_MANDATORY },
  { value: "hard-mandatory", label: LEVEL[policy.EnforcementLevel.HARD_MANDATORY][0], level: policy.EnforcementLevel.HARD_MANDATORY },
];
export const levelFromName = (name: string): policy.EnforcementLevel => LEVEL_FILTERS.find((f) => f.value === name)?.level ?? policy.EnforcementLevel.UNSPECIFIED;

const CHECK: Record<policy.PolicyCheckState, [string, StatusTone]> = {
  [policy.PolicyCheckState.UNSPECIFIED]: ["Unknown", "neutral"],
  [policy.PolicyCheckState.PASSED]: ["Passed", "success"],
  [policy.PolicyCheckState.ADVISORY_FAILED]: ["Passed with warnings", "warning"],
  [policy.PolicyCheckState.AWAITING_OVERRIDE]: ["Awaiting override", "warning"],
  [policy.PolicyCheckState.OVERRIDDEN]: ["Overridden", "warning"],
  [policy.PolicyCheckState.DISCARDED]: ["Discarded", "neutral"],
  [policy.PolicyCheckState.EXPIRED]: ["Expired", "danger"],
  [policy.PolicyCheckState.REFUSED]: ["Refused", "danger"],
};
export function checkState(state: policy.PolicyCheckState): { label: string; tone: StatusTone } {
  const [label, tone] = CHECK[state] ?? CHECK[policy.PolicyCheckState.UNSPECIFIED];
  return { label, tone };
}

/** `?state=` values of a check list; "" is awaiting an override, "any" every state. */
export const CHECK_STATE_FILTERS: { value: string; label: string; state: policy.PolicyCheckState }[] = [
  { value: "", label: "Awaiting override", state: policy.PolicyCheckState.AWAITING_OVERRIDE },
  { value: "any", label: "Every state", state: policy.PolicyCheckState.UNSPECIFIED },
  ...[
    policy.PolicyCheckState.PASSED,
    policy.PolicyCheckState.ADVISORY_FAILED,
    policy.PolicyCheckState.OVERRIDDEN,
    policy.PolicyCheckState.DISCARDED,
    policy.PolicyCheckState.EXPIRED,
    policy.PolicyCheckState.REFUSED,
  ].map((state) => ({ value: CHECK[state][0].toLowerCase().replaceAll(" ", "-"), label: CHECK[state][0], state })),
];
export const checkStateFromName = (name: string): policy.PolicyCheckState =>
  CHECK_STATE_FILTERS.find((f) => f.value === name)?.state ?? policy.PolicyCheckState.AWAITING_OVERRIDE;

/** A scope in words: "Every site", "Site s-1", "Customer c-1, labels env=prod". */
export function scopeText(scope: policy.PolicyScope | undefined): string {
  if (!scope) return "Every site";
  const parts: string[] = [];
  if (scope.customerId) parts.push(`customer ${scope.customerId}`);
  if (scope.siteId) parts.push(`site ${scope.siteId}`);
  const labels = Object.entries(scope.labels).map(([k, v]) => `${k}=${v}`);
  if (labels.length > 0) parts.push(`labels ${labels.join(", ")}`);
  if (parts.length === 0) return "Every site";
  const text = parts.join("; ");
  return text[0]!.toUpperCase() + text.slice(1);
}

/** `env=prod, team=web` → a label map; undefined when a part is not `key=value`. */
export function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  for (const part of text.split(/[,\n]/).map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0) return undefined;
    labels[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return labels;
}

export const labelsText = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");

/** Currencies' minor-unit digits differ (JPY has none); the rest have two. */
function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** "1250.50" in USD → 125050 minor units; undefined when the amount is not a non-negative decimal with at most the currency's digits. */
export function toMinorUnits(amount: string, currency: string): bigint | undefined {
  const digits = minorDigits(currency);
  const match = /^(\d+)(?:\.(\d*))?$/.exec(amount.trim());
  if (!match || (match[2] ?? "").length > digits) return undefined;
  return BigInt(match[1]!) * 10n ** BigInt(digits) + BigInt((match[2] ?? "").padEnd(digits, "0") || "0");
}

/** Minor units back to a decimal amount ("1250.50"). */
export function fromMinorUnits(minor: bigint, currency: string): string {
  const digits = minorDigits(currency);
  if (digits === 0) return minor.toString();
  const scale = 10n ** BigInt(digits);
  return `${minor / scale}.${(minor % scale).toString().padStart(digits, "0")}`;
}

/** Money in the reader's locale ("$1,250.50"); "No limit" when unset. */
export function moneyText(money: common.Money | undefined): string {
  if (!money) return "No limit";
  const digits = minorDigits(money.currencyCode);
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: money.currencyCode }).format(Number(money.minorUnits) / 10 ** digits);
  } catch {
    return `${fromMinorUnits(money.minorUnits, money.currencyCode)} ${money.currencyCode}`;
  }
}
