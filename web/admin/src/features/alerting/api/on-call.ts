//! On-call schedules' cache: ListSchedules pages and who is on call now per
//! schedule; creating or deleting a schedule refreshes them all.
import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";

type OnCallClient = Pick<CanopyClient, "onCall">;
type ScheduleInit = NonNullable<Parameters<CanopyClient["onCall"]["createSchedule"]>[0]["schedule"]>;

export const SCHEDULE_PAGE_SIZE = 20;

export const scheduleKeys = {
  all: ["schedules"] as const,
  lists: () => [...scheduleKeys.all, "list"] as const,
  list: (pageToken: string) => [...scheduleKeys.lists(), SCHEDULE_PAGE_SIZE, pageToken] as const,
  onCallNow: (scheduleId: string) => [...scheduleKeys.all, "on-call", scheduleId] as const,
};

export const scheduleQueries = {
  /** One page of schedules, by name. */
  list: (client: OnCallClient, pageToken: string) =>
    queryOptions({
      queryKey: scheduleKeys.list(pageToken),
      queryFn: () => client.onCall.listSchedules({ page: { pageSize: SCHEDULE_PAGE_SIZE, pageToken } }),
      placeholderData: keepPreviousData,
    }),
  /** Who is on call now ("" for nobody); asked again every minute, as hand-offs happen. */
  onCallNow: (client: OnCallClient, scheduleId: string) =>
    queryOptions({
      queryKey: scheduleKeys.onCallNow(scheduleId),
      queryFn: async () => (await client.onCall.getOnCall({ scheduleId })).userId,
      refetchInterval: 60_000,
    }),
};

/** CreateSchedule; every page is fetched again (not waited for). */
export function useCreateSchedule(client: OnCallClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (schedule: ScheduleInit) => client.onCall.createSchedule({ schedule }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: scheduleKeys.all });
    },
  });
}

/** DeleteSchedule; settles once every page has been fetched again. */
export function useDeleteSchedule(client: OnCallClient) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (scheduleId: string) => client.onCall.deleteSchedule({ scheduleId }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: scheduleKeys.all }),
  });
}
