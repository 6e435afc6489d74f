//! A "Customer" filter for lists across customers (sites, users): the customers
//! by name from one ListCustomers call (the largest page the API gives).
import { useQuery } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { SelectField } from "@canopy/ui";
import { useCustomerNames } from "../hooks/use-customer-names";
import { MAX_CUSTOMERS, customerQueries } from "../lib/customer-queries";

export interface CustomerSelectProps {
  client: Pick<CanopyClient, "customers">;
  /** The chosen customer id; "" for every customer. */
  value: string;
  onChange: (customerId: string) => void;
  label?: string;
  /** The first choice, meaning "no customer chosen". */
  placeholder?: string;
}

export function CustomerSelect({ client, value, onChange, label = "Customer", placeholder = "All customers" }: CustomerSelectProps) {
  const customers = useQuery(customerQueries.choices(client));
  const listed = customers.data?.customers ?? [];
  // A customer chosen through a link may lie beyond the first page: name it anyway.
  const names = useCustomerNames(client, value && !listed.some((c) => c.id === value) ? [value] : []);
  const options = listed.map((c) => ({ value: c.id, label: c.name })).sort((a, b) => a.label.localeCompare(b.label));
  if (value && !listed.some((c) => c.id === value)) options.unshift({ value, label: names.get(value) ?? value });
  return (
    <SelectField
      label={label}
      value={value}
      options={options}
      placeholder={placeholder}
      hint={customers.isPending ? "Loading customers…" : customers.isError ? "The customers could not be loaded." : customers.data?.page?.nextPageToken ? `The first ${MAX_CUSTOMERS} customers.` : undefined}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}
