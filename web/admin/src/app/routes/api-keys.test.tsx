import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, create, identity, tenancy } from "@canopy/sdk";
import { CanopyContext, ROLE, type Role, SessionStore } from "@canopy/ui";
import { ApiKeysRoute } from "./api-keys";

function renderRoute(role: Role, url = "/api-keys") {
  const listApiKeys = vi.fn(async () => create(identity.ListApiKeysResponseSchema, { apiKeys: [], page: { totalSize: 0n } }));
  const client = {
    auth: { getCurrentUser: vi.fn(async () => ({ user: create(identity.UserSchema, { id: "me", role }) })) },
    apiKeys: { listApiKeys },
    customers: { listCustomers: vi.fn(async () => create(tenancy.ListCustomersResponseSchema, { customers: [create(tenancy.CustomerSchema, { id: "c-1", name: "Acme" })] })) },
  } as unknown as CanopyClient;
  const session = new SessionStore("test", window.sessionStorage);
  session.set({ accessToken: "a", refreshToken: "r" });
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <CanopyContext.Provider value={{ client, session }}>
        <MemoryRouter initialEntries={[url]}>
          <ApiKeysRoute />
        </MemoryRouter>
      </CanopyContext.Provider>
    </QueryClientProvider>,
  );
  return { listApiKeys };
}

describe("ApiKeysRoute", () => {
  it("manages platform keys, or a chosen customer's, with the roles of each kind", async () => {
    const user = userEvent.setup();
    const { listApiKeys } = renderRoute(ROLE.platformAdmin);
    expect(await screen.findByRole("heading", { name: "All keys" })).toBeInTheDocument();
    await waitFor(() => expect(listApiKeys).toHaveBeenCalledWith(expect.objectContaining({ tenantId: "" })));
    expect(screen.getByRole("option", { name: "Platform admin" })).toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText("Whose keys"), "Acme");
    expect(await screen.findByRole("heading", { name: "The customer's keys" })).toBeInTheDocument();
    await waitFor(() => expect(listApiKeys).toHaveBeenLastCalledWith(expect.objectContaining({ tenantId: "c-1" })));
    expect(screen.queryByRole("option", { name: "Platform admin" })).not.toBeInTheDocument();
    expect(screen.getByRole("option", { name: "Owner" })).toBeInTheDocument();
  });

  it("tells an operator that only platform admins manage keys, without calling ApiKeyService", async () => {
    const { listApiKeys } = renderRoute(ROLE.platformOperator);
    expect(await screen.findByText("Only platform admins manage API keys.")).toBeInTheDocument();
    expect(listApiKeys).not.toHaveBeenCalled();
  });
});
