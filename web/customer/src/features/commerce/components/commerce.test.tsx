import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, Code, commerce, create } from "@canopy/sdk";
import { canopyError, invalidArgument } from "@canopy/ui/testing";
import { SiteIntegrations } from "./site-integrations";

/** What `create` takes for a message of `schema`. */
type Init<S extends Parameters<typeof create>[0]> = Parameters<typeof create<S>>[1];

const H = commerce.IntegrationHealth;
const C = commerce.HealthCause;

const field = (init: Init<typeof commerce.CredentialFieldSchema>) => create(commerce.CredentialFieldSchema, init);

const SHOPIFY = create(commerce.PlatformInfoSchema, {
  platform: commerce.Platform.SHOPIFY,
  displayName: "Shopify",
  apiVersion: "2025-10",
  fields: [
    field({ name: "shop_domain", label: "Shop domain", help: "Shopify admin → Settings → Domains", required: true, maxLength: 255, placeholder: "example.myshopify.com" }),
    field({ name: "access_token", label: "Admin API access token", help: "Starts with shpat_", masked: true, maxLength: 512, choice: "token" }),
    field({ name: "client_id", label: "Client ID", help: "Dev Dashboard → Settings", maxLength: 128, choice: "client_credentials" }),
    field({ name: "client_secret", label: "Client secret", help: "Dev Dashboard → Settings → Secret", masked: true, maxLength: 512, choice: "client_credentials" }),
  ],
});

const WOO = create(commerce.PlatformInfoSchema, {
  platform: commerce.Platform.WOOCOMMERCE,
  displayName: "WooCommerce",
  apiVersion: "wc/v3",
  fields: [
    field({ name: "store_url", label: "Store URL", help: "Your WordPress site's address", required: true, maxLength: 2048, placeholder: "https://shop.example.com" }),
    field({ name: "consumer_key", label: "Consumer key", help: "WooCommerce → Settings → Advanced → REST API", required: true, maxLength: 128 }),
    field({ name: "consumer_secret", label: "Consumer secret", help: "Shown once with the key", masked: true, required: true, maxLength: 512 }),
  ],
});

const integration = (init: Init<typeof commerce.IntegrationSchema> = {}) =>
  create(commerce.IntegrationSchema, {
    id: "i-1",
    siteId: "s-1",
    platform: commerce.Platform.SHOPIFY,
    displayName: "Main shop",
    store: "acme.myshopify.com",
    storeName: "Acme Goods",
    hints: { shop_domain: "acme.myshopify.com", access_token: "…a1b2" },
    health: H.HEALTHY,
    lastCheckTime: { seconds: 1_800_000_000n },
    revision: 4n,
    ...init,
  } as Init<typeof commerce.IntegrationSchema>);

function fakeClient(integrations: commerce.Integration[] = [integration()]) {
  const methods = {
    commercePlatforms: { listPlatforms: vi.fn(async () => create(commerce.ListPlatformsResponseSchema, { platforms: [SHOPIFY, WOO] })) },
    integrations: {
      listIntegrations: vi.fn(async () => create(commerce.ListIntegrationsResponseSchema, { integrations })),
      createIntegration: vi.fn(async () => create(commerce.CreateIntegrationResponseSchema, { integration: integration({ id: "i-2", displayName: "New shop" }) })),
      updateIntegration: vi.fn(async () => create(commerce.UpdateIntegrationResponseSchema, { integration: integration({ revision: 5n }) })),
      deleteIntegration: vi.fn(async () => create(commerce.DeleteIntegrationResponseSchema, {})),
      validateCredentials: vi.fn(async () => create(commerce.ValidateCredentialsResponseSchema, { valid: true, storeName: "Acme Goods" })),
      getIntegrationStatus: vi.fn(async () =>
        create(commerce.GetIntegrationStatusResponseSchema, {
          integration: integration(),
          nextCheckTime: { seconds: BigInt(Math.floor(Date.now() / 1000) + 7200) },
          history: [
            { checkTime: { seconds: 1_800_000_000n }, health: H.HEALTHY, trigger: "scheduled", message: "ok" },
            { checkTime: { seconds: 1_799_990_000n }, health: H.UNHEALTHY, cause: C.UNAUTHORIZED, trigger: "on_demand", message: "the store refused the access token (401)" },
          ],
        }),
      ),
    },
  };
  return { methods, client: methods as unknown as CanopyClient };
}

function renderIntegrations(client: CanopyClient, canChange = true) {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter>
        <SiteIntegrations client={client} siteId="s-1" canChange={canChange} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

async function openConnectForm(user: ReturnType<typeof userEvent.setup>, platform = "Shopify") {
  await user.click(await screen.findByRole("button", { name: "Connect a store" }));
  const form = await screen.findByRole("form", { name: "Connect a store" });
  await user.selectOptions(within(form).getByLabelText("Platform"), platform);
  return form;
}

describe("the site's stores", () => {
  it("lists each integration with its platform, store, hints, health in words and last check", async () => {
    const { client, methods } = fakeClient([
      integration(),
      integration({ id: "i-2", displayName: "", storeName: "", store: "shop.example.com", platform: commerce.Platform.WOOCOMMERCE, hints: { store_url: "https://shop.example.com", consumer_secret: "…9f9f" }, health: H.UNHEALTHY, cause: C.MISSING_SCOPE, message: "the key is read-only; write_products is needed" }),
      integration({ id: "i-3", displayName: "Fresh", health: H.UNSPECIFIED, lastCheckTime: undefined }),
    ]);
    renderIntegrations(client);
    const rows = within(await screen.findByRole("table", { name: "Stores" })).getAllByRole("row");
    expect(methods.integrations.listIntegrations).toHaveBeenCalledWith({ customerId: "", siteId: "s-1", page: { pageSize: 20, pageToken: "" } });
    expect(rows[1]).toHaveTextContent("Main shop");
    expect(rows[1]).toHaveTextContent("acme.myshopify.com");
    expect(rows[1]).toHaveTextContent("Acme Goods");
    expect(within(rows[1]!).getByText("Healthy")).toBeInTheDocument();
    await waitFor(() => expect(rows[1]).toHaveTextContent("Admin API access token: …a1b2"));
    expect(rows[2]).toHaveTextContent("WooCommerce");
    expect(rows[2]).toHaveTextContent("Unhealthy");
    expect(rows[2]).toHaveTextContent("Missing permissions: the key is read-only; write_products is needed");
    expect(rows[2]).toHaveTextContent("Consumer secret: …9f9f");
    expect(rows[3]).toHaveTextContent("Not checked yet");
    expect(rows[3]).toHaveTextContent("Never");
  });

  it("draws a platform's fields from ListPlatforms: Shopify's choice switches its fields, secrets are masked", async () => {
    const user = userEvent.setup();
    const { client } = fakeClient();
    renderIntegrations(client);
    const form = await openConnectForm(user);

    const domain = within(form).getByLabelText("Shop domain");
    expect(domain).toHaveAttribute("type", "text");
    expect(domain).toHaveAttribute("placeholder", "example.myshopify.com");
    expect(domain).toHaveAttribute("maxlength", "255");
    expect(domain).toHaveAccessibleDescription("Shopify admin → Settings → Domains");
    expect(within(form).getByRole("radio", { name: "Token" })).toBeChecked();
    expect(within(form).getByLabelText("Admin API access token")).toHaveAttribute("type", "password");
    expect(within(form).getByLabelText("Admin API access token")).toHaveAttribute("maxlength", "512");
    expect(within(form).queryByLabelText("Client ID")).not.toBeInTheDocument();
    expect(within(form).queryByLabelText("Client secret")).not.toBeInTheDocument();

    await user.click(within(form).getByRole("radio", { name: "Client credentials" }));
    expect(within(form).queryByLabelText("Admin API access token")).not.toBeInTheDocument();
    expect(within(form).getByLabelText("Client ID")).toHaveAttribute("type", "text");
    expect(within(form).getByLabelText("Client secret")).toHaveAttribute("type", "password");
    expect(within(form).getByLabelText("Shop domain")).toBeInTheDocument();

    await user.selectOptions(within(form).getByLabelText("Platform"), "WooCommerce");
    expect(within(form).queryByRole("radio")).not.toBeInTheDocument();
    expect(within(form).getByLabelText("Store URL")).toHaveAttribute("type", "text");
    expect(within(form).getByLabelText("Consumer key")).toHaveAttribute("type", "text");
    expect(within(form).getByLabelText("Consumer secret")).toHaveAttribute("type", "password");
  });

  it("validates only the chosen alternative's fields, refusing empty ones before sending", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    renderIntegrations(client);
    const form = await openConnectForm(user);
    await user.type(within(form).getByLabelText("Shop domain"), "acme.myshopify.com");
    await user.type(within(form).getByLabelText("Admin API access token"), "shpat_old");
    await user.click(within(form).getByRole("radio", { name: "Client credentials" }));
    await user.click(within(form).getByRole("button", { name: "Validate" }));
    expect(within(form).getByLabelText("Client ID")).toHaveAccessibleDescription("Enter the Client ID.");
    expect(within(form).getByLabelText("Client ID")).toHaveFocus();
    expect(methods.integrations.validateCredentials).not.toHaveBeenCalled();

    await user.type(within(form).getByLabelText("Client ID"), "cid");
    await user.type(within(form).getByLabelText("Client secret"), "csecret");
    await user.click(within(form).getByRole("button", { name: "Validate" }));
    const result = await within(form).findByRole("region", { name: "Validation result" });
    expect(result).toHaveTextContent("Valid");
    expect(result).toHaveTextContent("The store “Acme Goods” accepted the credentials");
    expect(methods.integrations.validateCredentials).toHaveBeenCalledWith({
      customerId: "",
      target: { case: "newCredentials", value: { platform: commerce.Platform.SHOPIFY, credentials: { shop_domain: "acme.myshopify.com", client_id: "cid", client_secret: "csecret" } } },
    });
  });

  it.each([
    [
      "refused credentials",
      { cause: C.UNAUTHORIZED, message: "the store refused the access token (401)" },
      ["Not valid: Credentials refused", "The store refused the access token (401)."],
    ],
    [
      "missing scopes",
      { cause: C.MISSING_SCOPE, message: "2 required scopes are not granted", storeName: "Acme Goods", missingScopes: ["read_orders", "write_products"] },
      ["Not valid: Missing permissions", "2 required scopes are not granted.", "Store: Acme Goods", "read_orders", "write_products"],
    ],
    ["a rate limit", { cause: C.RATE_LIMITED, message: "throttled", retryAfterSeconds: 90n }, ["Not valid: Rate limited by the platform", "wait 1 minute 30 seconds before trying again"]],
    ["an unreachable store", { cause: C.UNREACHABLE, message: "dns lookup failed for acme.myshopify.com" }, ["Not valid: Store unreachable", "Dns lookup failed for acme.myshopify.com."]],
    ["no such store", { cause: C.NOT_FOUND, message: "no shop at acme.myshopify.com (404)" }, ["Not valid: No such store"]],
    ["a frozen store", { cause: C.FROZEN, message: "payment required (402)" }, ["Not valid: Store frozen for an unpaid bill"]],
    ["a locked store", { cause: C.LOCKED, message: "locked (423)" }, ["Not valid: Store locked"]],
    ["an unexpected answer", { cause: C.UNEXPECTED, message: "500 from the store" }, ["Not valid: Unexpected answer", "500 from the store."]],
  ])("shows %s in words", async (_, answer, texts) => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    methods.integrations.validateCredentials.mockResolvedValueOnce(create(commerce.ValidateCredentialsResponseSchema, { valid: false, ...answer }));
    renderIntegrations(client);
    const form = await openConnectForm(user);
    await user.type(within(form).getByLabelText("Shop domain"), "acme.myshopify.com");
    await user.type(within(form).getByLabelText("Admin API access token"), "shpat_x");
    await user.click(within(form).getByRole("button", { name: "Validate" }));
    const result = await within(form).findByRole("region", { name: "Validation result" });
    for (const text of texts) expect(result).toHaveTextContent(text);
    if ("missingScopes" in answer) expect(within(result).getByRole("list", { name: "Missing scopes" }).children).toHaveLength(2);
  });

  it("puts the server's violations beside the fields, says a refusing store in its words, and connects", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    methods.integrations.createIntegration
      .mockRejectedValueOnce(invalidArgument([{ field: "credentials.shop_domain", description: "must end in .myshopify.com" }, { field: "display_name", description: "at most 100 characters" }]))
      .mockRejectedValueOnce(canopyError(Code.FailedPrecondition, "the store refused the credentials: invalid API key or access token (401)"));
    renderIntegrations(client);
    const form = await openConnectForm(user);
    await user.type(within(form).getByLabelText("Shop domain"), "acme.example.com");
    await user.type(within(form).getByLabelText("Admin API access token"), "shpat_secret");
    await user.type(within(form).getByLabelText("Display name"), "Main");
    await user.click(within(form).getByRole("button", { name: "Connect store" }));
    await waitFor(() => expect(within(form).getByLabelText("Shop domain")).toHaveAccessibleDescription("Must end in .myshopify.com"));
    expect(within(form).getByLabelText("Display name")).toHaveAccessibleDescription("At most 100 characters");
    expect(within(form).getByLabelText("Shop domain")).toHaveFocus();
    expect(methods.integrations.createIntegration).toHaveBeenCalledWith({
      customerId: "",
      siteId: "s-1",
      platform: commerce.Platform.SHOPIFY,
      credentials: { shop_domain: "acme.example.com", access_token: "shpat_secret" },
      displayName: "Main",
    });

    await user.click(within(form).getByRole("button", { name: "Connect store" }));
    expect(await within(form).findByText("The store refused the credentials: invalid API key or access token (401).")).toBeInTheDocument();

    await user.click(within(form).getByRole("button", { name: "Connect store" }));
    expect(await screen.findByText(/New shop is connected/)).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "Connect a store" })).not.toBeInTheDocument();
    // The secret typed is nowhere on the page once connected.
    expect(document.body.innerHTML).not.toContain("shpat_secret");
    expect(methods.integrations.listIntegrations).toHaveBeenCalledTimes(2);
  });

  it("shows viewers the stores and their health, with nothing to change", async () => {
    const { client } = fakeClient();
    renderIntegrations(client, false);
    await screen.findByRole("table", { name: "Stores" });
    expect(screen.queryByRole("button", { name: "Connect a store" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete Main shop" })).not.toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole("button", { name: "Details of Main shop" }));
    const detail = await screen.findByRole("region", { name: "Main shop" });
    expect(within(detail).queryByRole("button", { name: "Check now" })).not.toBeInTheDocument();
    expect(within(detail).queryByRole("button", { name: "Rotate credentials" })).not.toBeInTheDocument();
    expect(screen.getByText(/Owners and members connect stores/)).toBeInTheDocument();
  });

  it("opens an integration: its history newest first, Check now, rotation from its revision, renaming", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    methods.integrations.validateCredentials.mockResolvedValueOnce(create(commerce.ValidateCredentialsResponseSchema, { valid: false, cause: C.UNAUTHORIZED, message: "the app was uninstalled" }));
    renderIntegrations(client);
    await user.click(await screen.findByRole("button", { name: "Details of Main shop" }));
    const detail = await screen.findByRole("region", { name: "Main shop" });
    expect(methods.integrations.getIntegrationStatus).toHaveBeenCalledWith({ customerId: "", integrationId: "i-1", page: { pageSize: 10, pageToken: "" } });
    const checks = within(await within(detail).findByRole("table", { name: "Health checks" })).getAllByRole("row");
    expect(checks[1]).toHaveTextContent("Scheduled");
    expect(checks[1]).toHaveTextContent("Healthy");
    expect(checks[2]).toHaveTextContent("On demand");
    expect(checks[2]).toHaveTextContent("Credentials refused");
    expect(checks[2]).toHaveTextContent("the store refused the access token (401)");
    expect(detail).toHaveTextContent(/Next check\s*in 2 hours/);

    await user.click(within(detail).getByRole("button", { name: "Check now" }));
    expect(await within(detail).findByRole("region", { name: "Validation result" })).toHaveTextContent("Not valid: Credentials refused");
    expect(methods.integrations.validateCredentials).toHaveBeenCalledWith({ customerId: "", target: { case: "integrationId", value: "i-1" } });
    await waitFor(() => expect(methods.integrations.getIntegrationStatus).toHaveBeenCalledTimes(2));

    await user.click(within(detail).getByRole("button", { name: "Rotate credentials" }));
    const rotate = within(detail).getByRole("form", { name: "Rotate credentials" });
    expect(within(rotate).getByLabelText("Shop domain")).toHaveValue("acme.myshopify.com");
    expect(within(rotate).getByLabelText("Shop domain")).toHaveAttribute("readonly");
    expect(within(rotate).getByLabelText("Admin API access token")).toHaveValue("");
    expect(within(rotate).getByLabelText("Admin API access token")).toHaveAccessibleDescription(/Stored now: …a1b2/);
    methods.integrations.updateIntegration.mockRejectedValueOnce(invalidArgument([{ field: "credentials.access_token", description: "must start with shpat_" }]));
    await user.type(within(rotate).getByLabelText("Admin API access token"), "bad");
    await user.click(within(rotate).getByRole("button", { name: "Save new credentials" }));
    await waitFor(() => expect(within(rotate).getByLabelText("Admin API access token")).toHaveAccessibleDescription("Must start with shpat_"));
    await user.clear(within(rotate).getByLabelText("Admin API access token"));
    await user.type(within(rotate).getByLabelText("Admin API access token"), "shpat_new");
    await user.click(within(rotate).getByRole("button", { name: "Save new credentials" }));
    expect(await screen.findByText("Main shop: the new credentials are stored.")).toBeInTheDocument();
    expect(methods.integrations.updateIntegration).toHaveBeenLastCalledWith({
      customerId: "",
      integrationId: "i-1",
      revision: 4n,
      credentials: { shop_domain: "acme.myshopify.com", access_token: "shpat_new" },
    });

    await user.click(within(detail).getByRole("button", { name: "Rename" }));
    const rename = within(detail).getByRole("form", { name: "Rename" });
    await user.clear(within(rename).getByLabelText("Display name"));
    await user.type(within(rename).getByLabelText("Display name"), "Outlet");
    await user.click(within(rename).getByRole("button", { name: "Save name" }));
    await waitFor(() => expect(methods.integrations.updateIntegration).toHaveBeenLastCalledWith({ customerId: "", integrationId: "i-1", revision: 4n, displayName: "Outlet" }));
  });

  it("says a refused rename in the server's words and, tried again, sends the revision read since", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    methods.integrations.updateIntegration.mockRejectedValueOnce(canopyError(Code.FailedPrecondition, "revision 4 is stale; the integration is at revision 6"));
    renderIntegrations(client);
    await user.click(await screen.findByRole("button", { name: "Details of Main shop" }));
    const detail = await screen.findByRole("region", { name: "Main shop" });
    await within(detail).findByRole("table", { name: "Health checks" });
    methods.integrations.getIntegrationStatus.mockResolvedValue(create(commerce.GetIntegrationStatusResponseSchema, { integration: integration({ revision: 6n }) }));
    await user.click(within(detail).getByRole("button", { name: "Rename" }));
    const rename = within(detail).getByRole("form", { name: "Rename" });
    await user.clear(within(rename).getByLabelText("Display name"));
    await user.type(within(rename).getByLabelText("Display name"), "Outlet");
    await user.click(within(rename).getByRole("button", { name: "Save name" }));
    expect(await within(rename).findByText("Revision 4 is stale; the integration is at revision 6.")).toBeInTheDocument();
    await waitFor(() => expect(methods.integrations.getIntegrationStatus).toHaveBeenCalledTimes(2));
    expect(within(rename).getByLabelText("Display name")).toHaveValue("Outlet");
    await user.click(within(rename).getByRole("button", { name: "Save name" }));
    await waitFor(() => expect(methods.integrations.updateIntegration).toHaveBeenLastCalledWith({ customerId: "", integrationId: "i-1", revision: 6n, displayName: "Outlet" }));
  });

  it("deletes an integration only after a confirmation", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient();
    renderIntegrations(client);
    await user.click(await screen.findByRole("button", { name: "Delete Main shop" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete Main shop?" });
    expect(methods.integrations.deleteIntegration).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole("button", { name: "Yes, delete the integration" }));
    await waitFor(() => expect(methods.integrations.deleteIntegration).toHaveBeenCalledWith({ customerId: "", integrationId: "i-1" }));
    expect(await screen.findByText("Main shop was disconnected; its credentials are forgotten.")).toBeInTheDocument();
  });
});
