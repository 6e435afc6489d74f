// The session pages both portals share: the guard, the sign-in card and the
// set-password form, on a real router in memory and a real SessionStore.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { type CanopyClient, create, identity } from "@canopy/sdk";
import { invalidArgument } from "../testing";
import { CanopyContext } from "./portal-context";
import { SessionStore } from "./session-store";
import { SetPasswordForm } from "./set-password-form";
import { SignInCard, SignedInOnly } from "./signed-in-only";

function Where() {
  const location = useLocation();
  return <p aria-label="URL">{location.pathname + location.search}</p>;
}

function renderAt(path: string, client: Partial<CanopyClient>, routes: ReactNode, session = new SessionStore("test.session", window.sessionStorage)) {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <CanopyContext.Provider value={{ client: client as CanopyClient, session }}>
        <MemoryRouter initialEntries={[path]}>
          <Routes>{routes}</Routes>
          <Where />
        </MemoryRouter>
      </CanopyContext.Provider>
    </QueryClientProvider>,
  );
  return session;
}

describe("SignedInOnly and SignInCard", () => {
  it("send someone without a session to sign-in, and back to the same page once signed in", async () => {
    window.sessionStorage.clear();
    const user = userEvent.setup();
    const login = vi.fn(async () => create(identity.LoginResponseSchema, { result: { case: "session", value: { accessToken: "a", refreshToken: "r" } } }));
    const session = renderAt(
      "/sites/42?tab=log",
      { auth: { login } as unknown as CanopyClient["auth"] },
      <>
        <Route path="/sign-in" element={<SignInCard />} />
        <Route path="/sites/:id" element={<SignedInOnly>the site</SignedInOnly>} />
      </>,
    );
    expect(await screen.findByLabelText("URL")).toHaveTextContent("/sign-in?next=%2Fsites%2F42%3Ftab%3Dlog");
    await user.type(screen.getByLabelText("Email"), "ann@example.com");
    await user.type(screen.getByLabelText("Password"), "vivid-otter-lantern-93");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByText("the site")).toBeInTheDocument();
    expect(screen.getByLabelText("URL")).toHaveTextContent("/sites/42?tab=log");
    expect(session.get()).toEqual({ accessToken: "a", refreshToken: "r" });
  });

  it("never follows a next that leaves the portal", async () => {
    window.sessionStorage.clear();
    const session = new SessionStore("test.session", window.sessionStorage);
    session.set({ accessToken: "a", refreshToken: "r" });
    renderAt("/sign-in?next=//evil.example/x", {}, <Route path="/sign-in" element={<SignInCard />} />, session);
    await waitFor(() => expect(screen.getByLabelText("URL")).toHaveTextContent(/^\/$/));
  });
});

describe("SetPasswordForm", () => {
  const renderForm = (setPasswordWithToken: ReturnType<typeof vi.fn>, token = "tok-1") =>
    renderAt(
      "/invitation",
      {},
      <Route path="/invitation" element={<SetPasswordForm client={{ auth: { setPasswordWithToken } as unknown as CanopyClient["auth"] }} token={token} incomplete="Link incomplete." />} />,
    );

  it("refuses two different passwords before calling anyone", async () => {
    const user = userEvent.setup();
    const setPasswordWithToken = vi.fn();
    renderForm(setPasswordWithToken);
    await user.type(screen.getByLabelText("New password"), "vivid-otter-lantern-93");
    await user.type(screen.getByLabelText("Repeat the password"), "vivid-otter-lantern-94");
    await user.click(screen.getByRole("button", { name: "Set password" }));
    expect(screen.getByLabelText("Repeat the password")).toHaveAccessibleDescription("The passwords do not match.");
    expect(setPasswordWithToken).not.toHaveBeenCalled();
  });

  it("shows the password policy's violation beside the password, then sets it", async () => {
    const user = userEvent.setup();
    const setPasswordWithToken = vi
      .fn()
      .mockRejectedValueOnce(invalidArgument([{ field: "new_password", description: "is one of the most common passwords" }]))
      .mockResolvedValueOnce({});
    renderForm(setPasswordWithToken);
    await user.type(screen.getByLabelText("New password"), "Password1234");
    await user.type(screen.getByLabelText("Repeat the password"), "Password1234");
    await user.click(screen.getByRole("button", { name: "Set password" }));
    expect(await screen.findByText("Is one of the most common passwords")).toBeInTheDocument();
    expect(screen.getByLabelText("New password")).toHaveAttribute("aria-invalid", "true");
    await user.click(screen.getByRole("button", { name: "Set password" }));
    expect(await screen.findByText("Your password is set.")).toBeInTheDocument();
    expect(setPasswordWithToken).toHaveBeenLastCalledWith({ token: "tok-1", newPassword: "Password1234" });
  });

  it("says the link is incomplete when it carries no token", () => {
    renderForm(vi.fn(), "");
    expect(screen.getByRole("alert")).toHaveTextContent("Link incomplete.");
  });
});
