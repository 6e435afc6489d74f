import { createBrowserRouter } from "react-router";
import { SignedInLayout } from "./layout";
import { CustomerDetailRoute } from "./routes/customer-detail";
import { CustomersRoute } from "./routes/customers";
import { NewCustomerRoute } from "./routes/new-customer";
import { SignInRoute } from "./routes/sign-in";

export function createPortalRouter() {
  return createBrowserRouter([
    { path: "/sign-in", element: <SignInRoute /> },
    {
      element: <SignedInLayout />,
      children: [
        { index: true, element: <CustomersRoute /> },
        { path: "customers/new", element: <NewCustomerRoute /> },
        { path: "customers/:customerId", element: <CustomerDetailRoute /> },
      ],
    },
  ]);
}
