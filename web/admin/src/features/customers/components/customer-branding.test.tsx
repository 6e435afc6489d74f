import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, Code, create, tenancy } from "@canopy/sdk";
import { canopyError, invalidArgument } from "@canopy/ui/testing";
import { CustomerBranding } from "./customer-branding";

type Init = NonNullable<Parameters<typeof create<typeof tenancy.BrandingSchema>>[1]>;

const branding = (fields: Init = {}) =>
  create(tenancy.BrandingSchema, { customerId: "c-1", productName: "Acme Cloud", primaryColor: "#1a73e8", updateTime: { seconds: 100n }, ...fields } as Init);

function renderBranding(methods: Record<string, unknown>, initial = branding()) {
  const client = { branding: { getCustomerBranding: vi.fn(async () => ({ branding: initial })), ...methods } as unknown as CanopyClient["branding"] };
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <CustomerBranding client={client} customerId="c-1" />
    </QueryClientProvider>,
  );
}

describe("custom domain", () => {
  it("sets the domain, shows the TXT record to create (copyable), and verifies it", async () => {
    const user = userEvent.setup();
    const setCustomDomain = vi.fn(async () =>
      create(tenancy.SetCustomDomainResponseSchema, {
        branding: branding({ customDomain: "portal.acme.test", updateTime: { seconds: 200n } }),
        txtRecordName: "_canopy-verify.portal.acme.test",
        txtRecordValue: "canopy-verify=0f1e2d",
      }),
    );
    const verifyCustomDomain = vi
      .fn()
      .mockRejectedValueOnce(canopyError(Code.FailedPrecondition, "no TXT record _canopy-verify.portal.acme.test with value canopy-verify=0f1e2d was found"))
      .mockResolvedValueOnce(create(tenancy.VerifyCustomDomainResponseSchema, { branding: branding({ customDomain: "portal.acme.test", customDomainVerified: true }) }));
    renderBranding({ setCustomDomain, verifyCustomDomain });

    expect(await screen.findByText(/No custom domain/)).toBeInTheDocument();
    await user.type(screen.getByLabelText("Custom domain"), "portal.acme.test");
    await user.click(screen.getByRole("button", { name: "Set domain" }));
    const record = await screen.findByRole("region", { name: "DNS record to create" });
    expect(setCustomDomain).toHaveBeenCalledWith({ customerId: "c-1", domain: "portal.acme.test" });
    expect(within(record).getByText("_canopy-verify.portal.acme.test")).toBeInTheDocument();
    expect(within(record).getByText("canopy-verify=0f1e2d")).toBeInTheDocument();
    expect(screen.getByText("Not verified")).toBeInTheDocument();

    await user.click(within(record).getByRole("button", { name: "Copy record value" }));
    expect(await navigator.clipboard.readText()).toBe("canopy-verify=0f1e2d");
    expect(within(record).getByText("Copied.")).toBeInTheDocument();

    // The record is not there yet: the server's reason, in words.
    await user.click(screen.getByRole("button", { name: "Verify domain" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("No TXT record _canopy-verify.portal.acme.test with value canopy-verify=0f1e2d was found.");
    expect(screen.getByText("Not verified")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Verify domain" }));
    expect(await screen.findByText(/portal\.acme\.test is verified/)).toBeInTheDocument();
    expect(screen.getByText("Verified")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Verify domain" })).not.toBeInTheDocument();
    expect(verifyCustomDomain).toHaveBeenCalledWith({ customerId: "c-1" });
  });

  it("shows an invalid domain beside the field", async () => {
    const user = userEvent.setup();
    const setCustomDomain = vi.fn(async () => {
      throw invalidArgument([{ field: "domain", description: "must be a host name without wildcard, IP address or port" }]);
    });
    renderBranding({ setCustomDomain });
    await user.type(await screen.findByLabelText("Custom domain"), "*.acme.test");
    await user.click(screen.getByRole("button", { name: "Set domain" }));
    await waitFor(() => expect(screen.getByLabelText("Custom domain")).toHaveAccessibleDescription("Must be a host name without wildcard, IP address or port"));
    expect(screen.queryByRole("region", { name: "DNS record to create" })).not.toBeInTheDocument();
  });
});

describe("logo upload", () => {
  const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

  it("sends the bytes and content type, and the preview shows the uploaded logo", async () => {
    const user = userEvent.setup();
    const uploadBrandingAsset = vi.fn(async () =>
      create(tenancy.UploadBrandingAssetResponseSchema, { branding: branding({ hasLogo: true, updateTime: { seconds: 300n } }) }),
    );
    const getBrandingAsset = vi.fn();
    renderBranding({ uploadBrandingAsset, getBrandingAsset });
    const preview = await screen.findByTestId("branding-preview");
    expect(within(preview).queryByRole("img")).not.toBeInTheDocument();
    expect(screen.getByText("No logo yet.")).toBeInTheDocument();

    await user.upload(screen.getByLabelText("Logo"), new File([PNG], "acme.png", { type: "image/png" }));
    await user.click(screen.getByRole("button", { name: "Upload logo" }));
    expect(await screen.findByText("Logo uploaded.")).toBeInTheDocument();
    expect(uploadBrandingAsset).toHaveBeenCalledWith({ customerId: "c-1", kind: tenancy.AssetKind.LOGO, contentType: "image/png", data: PNG });
    const expected = `data:image/png;base64,${btoa(String.fromCharCode(...PNG))}`;
    await waitFor(() => expect(within(preview).getByRole("img", { name: "Logo" })).toHaveAttribute("src", expected));
    expect(screen.getByRole("img", { name: "Current logo" })).toHaveAttribute("src", expected);
    // The uploaded bytes are shown as they are: nothing is fetched back.
    expect(getBrandingAsset).not.toHaveBeenCalled();
  });

  it("shows the server's violation beside the field", async () => {
    const user = userEvent.setup();
    const uploadBrandingAsset = vi.fn(async () => {
      throw invalidArgument([{ field: "content_type", description: "says image/png but the data is image/jpeg" }]);
    });
    renderBranding({ uploadBrandingAsset });
    await user.upload(await screen.findByLabelText("Logo"), new File([PNG], "acme.png", { type: "image/png" }));
    await user.click(screen.getByRole("button", { name: "Upload logo" }));
    await waitFor(() => expect(screen.getByLabelText("Logo")).toHaveAccessibleDescription("Says image/png but the data is image/jpeg"));
    expect(screen.queryByText("Logo uploaded.")).not.toBeInTheDocument();
  });

  it("refuses a file over the limit or of another type before sending it", async () => {
    const user = userEvent.setup({ applyAccept: false });
    const uploadBrandingAsset = vi.fn();
    renderBranding({ uploadBrandingAsset });
    const favicon = await screen.findByLabelText("Favicon");
    await user.upload(favicon, new File([new Uint8Array(65 * 1024)], "big.png", { type: "image/png" }));
    expect(favicon).toHaveAccessibleDescription("This file is 65 KiB; a favicon can be at most 64 KiB.");
    expect(screen.getByRole("button", { name: "Upload favicon" })).toBeDisabled();
    await user.upload(screen.getByLabelText("Logo"), new File(["GIF89a"], "anim.gif", { type: "image/gif" }));
    expect(screen.getByLabelText("Logo")).toHaveAccessibleDescription("Choose a PNG, JPEG, SVG or ICO image; this file is image/gif.");
    expect(screen.getByRole("button", { name: "Upload logo" })).toBeDisabled();
    expect(uploadBrandingAsset).not.toHaveBeenCalled();
  });

  it("shows a stored logo in the preview (GetBrandingAsset)", async () => {
    const getBrandingAsset = vi.fn(async () => create(tenancy.GetBrandingAssetResponseSchema, { contentType: "image/png", data: PNG }));
    renderBranding({ getBrandingAsset }, branding({ hasLogo: true }));
    const preview = await screen.findByTestId("branding-preview");
    await waitFor(() => expect(within(preview).getByRole("img", { name: "Logo" })).toHaveAttribute("src", `data:image/png;base64,${btoa(String.fromCharCode(...PNG))}`));
    expect(getBrandingAsset).toHaveBeenCalledWith({ customerId: "c-1", kind: tenancy.AssetKind.LOGO });
  });
});
