import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, audit, create } from "@canopy/sdk";
import { invalidArgument } from "@canopy/ui/testing";
import { SiemEndpoints } from "./siem-endpoints";

const endpoint = (id: string, url: string, fields: Partial<Pick<audit.SiemEndpoint, "description" | "deliveredCount" | "pendingCount" | "lastError">> = {}) =>
  create(audit.SiemEndpointSchema, { id, url, createTime: { seconds: 1_800_000_000n }, ...fields });

/** A SIEM service holding `endpoints`, changed by the calls the page makes. */
function fakeClient(endpoints: audit.SiemEndpoint[]) {
  const methods = {
    listSiemEndpoints: vi.fn(async () => create(audit.ListSiemEndpointsResponseSchema, { endpoints: [...endpoints], page: { totalSize: BigInt(endpoints.length) } })),
    createSiemEndpoint: vi.fn(async ({ url, description }: { url: string; description: string }) => {
      if (!url.startsWith("https://")) throw invalidArgument([{ field: "url", description: "must be an https:// URL" }]);
      const created = endpoint(`s-${endpoints.length + 1}`, url, { description });
      endpoints.push(created);
      return create(audit.CreateSiemEndpointResponseSchema, { endpoint: created, signingSecret: "whsec_c2VjcmV0LXNob3duLW9uY2U=" });
    }),
    deleteSiemEndpoint: vi.fn(async ({ endpointId }: { endpointId: string }) => {
      endpoints.splice(
        endpoints.findIndex((e) => e.id === endpointId),
        1,
      );
      return create(audit.DeleteSiemEndpointResponseSchema, {});
    }),
  };
  return { methods, client: { siem: methods } as unknown as Pick<CanopyClient, "siem"> };
}

function renderPage(client: Pick<CanopyClient, "siem">) {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <SiemEndpoints client={client} />
    </QueryClientProvider>,
  );
}

describe("SiemEndpoints", () => {
  it("lists the endpoints with their delivery state", async () => {
    const { client } = fakeClient([endpoint("s-1", "https://siem.example.com/hook", { description: "Splunk", deliveredCount: 1200n, pendingCount: 3n, lastError: "503 Service Unavailable" })]);
    renderPage(client);
    const row = within(await screen.findByRole("table", { name: "SIEM endpoints" })).getAllByRole("row")[1]!;
    expect(row).toHaveTextContent("https://siem.example.com/hook");
    expect(row).toHaveTextContent("Splunk");
    expect(row).toHaveTextContent((1200).toLocaleString());
    expect(row).toHaveTextContent("3");
    expect(row).toHaveTextContent("503 Service Unavailable");
  });

  it("adds an endpoint and shows its signing secret once, with a warning", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient([]);
    renderPage(client);
    expect(await screen.findByText("No SIEM endpoints")).toBeInTheDocument();
    await user.type(screen.getByLabelText("URL"), "https://siem.example.com/hook");
    await user.type(screen.getByLabelText("Description"), "Splunk");
    await user.click(screen.getByRole("button", { name: "Add endpoint" }));
    const secret = await screen.findByRole("region", { name: "New SIEM endpoint" });
    expect(methods.createSiemEndpoint).toHaveBeenCalledWith({ idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/), url: "https://siem.example.com/hook", description: "Splunk" });
    expect(within(secret).getByLabelText("Signing secret")).toHaveValue("whsec_c2VjcmV0LXNob3duLW9uY2U=");
    expect(secret).toHaveTextContent("it will not be shown again");
    await user.click(within(secret).getByRole("button", { name: "Copy secret" }));
    expect(await navigator.clipboard.readText()).toBe("whsec_c2VjcmV0LXNob3duLW9uY2U=");
    expect(await screen.findByRole("table", { name: "SIEM endpoints" })).toHaveTextContent("https://siem.example.com/hook");

    await user.click(within(secret).getByRole("button", { name: "I have copied the secret" }));
    expect(screen.queryByRole("region", { name: "New SIEM endpoint" })).not.toBeInTheDocument();
    expect(screen.queryByDisplayValue(/whsec_/)).not.toBeInTheDocument();
    expect(screen.getByRole("form", { name: "Add SIEM endpoint" })).toBeInTheDocument();
  });

  it("shows the server's violation beside the URL, and asks for a URL before calling", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient([]);
    renderPage(client);
    await user.click(await screen.findByRole("button", { name: "Add endpoint" }));
    expect(screen.getByLabelText("URL")).toHaveAccessibleDescription("Enter the endpoint's https:// URL.");
    expect(methods.createSiemEndpoint).not.toHaveBeenCalled();

    await user.type(screen.getByLabelText("URL"), "http://siem.example.com");
    await user.click(screen.getByRole("button", { name: "Add endpoint" }));
    await waitFor(() => expect(screen.getByLabelText("URL")).toHaveAccessibleDescription("Must be an https:// URL"));
    expect(screen.getByLabelText("URL")).toHaveFocus();
    expect(screen.queryByRole("region", { name: "New SIEM endpoint" })).not.toBeInTheDocument();
  });

  it("deletes an endpoint only after a confirmation", async () => {
    const user = userEvent.setup();
    const { client, methods } = fakeClient([endpoint("s-1", "https://siem.example.com/hook")]);
    renderPage(client);
    await user.click(await screen.findByRole("button", { name: "Delete https://siem.example.com/hook" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete https://siem.example.com/hook?" });
    await user.click(within(dialog).getByRole("button", { name: "Keep it" }));
    expect(methods.deleteSiemEndpoint).not.toHaveBeenCalled();

    await user.click(screen.getByRole("button", { name: "Delete https://siem.example.com/hook" }));
    await user.click(screen.getByRole("button", { name: "Yes, delete the endpoint" }));
    await waitFor(() => expect(methods.deleteSiemEndpoint).toHaveBeenCalledWith({ endpointId: "s-1" }));
    expect(await screen.findByText("No SIEM endpoints")).toBeInTheDocument();
    expect(screen.getByText(/was deleted: it receives no more events/)).toBeInTheDocument();
  });
});
