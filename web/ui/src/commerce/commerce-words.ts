//! E-commerce integrations in words: platforms, health and its causes, what ran a
//! check, and the `?platform=` / `?health=` names the admin list keeps in the URL.
import { commerce } from "@canopy/sdk";
import type { StatusTone } from "../components/status-badge";

const PLATFORM_NAMES: [string, commerce.Platform, string][] = [
  ["shopify", commerce.Platform.SHOPIFY, "Shopify"],
  ["woocommerce", commerce.Platform.WOOCOMMERCE, "WooCommerce"],
  ["bigcommerce", commerce.Platform.BIGCOMMERCE, "BigCommerce"],
];

/** The platform's name for people ("Shopify"); ListPlatforms' `display_name` says the same where it is at hand. */
export function platformLabel(platform: commerce.Platform): string {
  return PLATFORM_NAMES.find(([, p]) => p === platform)?.[2] ?? "Unknown platform";
}

/** `?platform=` choices. */
export const PLATFORM_FILTERS = PLATFORM_NAMES.map(([value, , label]) => ({ value, label }));

/** The platform a `?platform=` value names; UNSPECIFIED (every platform) for anything else. */
export function platformFromName(name: string): commerce.Platform {
  return PLATFORM_NAMES.find(([n]) => n === name)?.[1] ?? commerce.Platform.UNSPECIFIED;
}

const HEALTH: Record<commerce.IntegrationHealth, [string, StatusTone]> = {
  [commerce.IntegrationHealth.UNSPECIFIED]: ["Not checked yet", "neutral"],
  [commerce.IntegrationHealth.HEALTHY]: ["Healthy", "success"],
  [commerce.IntegrationHealth.UNHEALTHY]: ["Unhealthy", "danger"],
};

/** "Healthy", "Unhealthy" or "Not checked yet", with the badge's tone. */
export function integrationHealth(health: commerce.IntegrationHealth): { label: string; tone: StatusTone } {
  const [label, tone] = HEALTH[health] ?? HEALTH[commerce.IntegrationHealth.UNSPECIFIED];
  return { label, tone };
}

/**
 * `?health=` choices. "Not checked yet" is not among them: ListIntegrations reads
 * INTEGRATION_HEALTH_UNSPECIFIED as "any health", so it cannot be asked for.
 */
export const HEALTH_FILTERS = [
  { value: "healthy", label: "Healthy" },
  { value: "unhealthy", label: "Unhealthy" },
];

/** The health a `?health=` value names; UNSPECIFIED (any) for anything else. */
export function healthFromName(name: string): commerce.IntegrationHealth {
  return name === "healthy" ? commerce.IntegrationHealth.HEALTHY : name === "unhealthy" ? commerce.IntegrationHealth.UNHEALTHY : commerce.IntegrationHealth.UNSPECIFIED;
}

const CAUSE: Record<commerce.HealthCause, string> = {
  [commerce.HealthCause.UNSPECIFIED]: "",
  [commerce.HealthCause.UNAUTHORIZED]: "Credentials refused",
  [commerce.HealthCause.MISSING_SCOPE]: "Missing permissions",
  [commerce.HealthCause.FROZEN]: "Store frozen for an unpaid bill",
  [commerce.HealthCause.LOCKED]: "Store locked",
  [commerce.HealthCause.RATE_LIMITED]: "Rate limited by the platform",
  [commerce.HealthCause.UNREACHABLE]: "Store unreachable",
  [commerce.HealthCause.NOT_FOUND]: "No such store",
  [commerce.HealthCause.UNEXPECTED]: "Unexpected answer",
};

/** Why a check failed, in a few words ("Credentials refused"); "" when it did not fail. */
export function causeLabel(cause: commerce.HealthCause): string {
  return CAUSE[cause] ?? CAUSE[commerce.HealthCause.UNEXPECTED];
}

const TRIGGER: Record<string, string> = {
  scheduled: "Scheduled",
  schedule: "Scheduled",
  on_demand: "On demand",
  "on-demand": "On demand",
  demand: "On demand",
  manual: "On demand",
  validate: "On demand",
  create: "On connection",
  created: "On connection",
  creation: "On connection",
  rotate: "On rotation",
  rotated: "On rotation",
  rotation: "On rotation",
  update: "On rotation",
};

/** What ran a check ("Scheduled", "On demand", "On connection", "On rotation"); another value as it reads. */
export function checkTrigger(trigger: string): string {
  const known = TRIGGER[trigger.trim().toLowerCase()];
  if (known) return known;
  const words = trigger.replace(/[_-]+/g, " ").trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : "—";
}
