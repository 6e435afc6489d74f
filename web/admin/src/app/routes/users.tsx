import { useNavigate } from "react-router";
import { Button, useCanopy } from "@canopy/ui";
import { UsersList } from "../../features/users/components/users-list";
import { useCurrentUser, useIsPlatformAdmin } from "../../hooks/use-current-user";

export function UsersRoute() {
  const { client } = useCanopy();
  const navigate = useNavigate();
  const admin = useIsPlatformAdmin();
  const me = useCurrentUser();
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="m-0">Users</h1>
        {admin && <Button onClick={() => navigate("/users/new")}>New platform user</Button>}
      </div>
      <UsersList client={client} canChange={admin} currentUserId={me.data?.id} />
    </div>
  );
}
