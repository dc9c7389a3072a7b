/** One shared clock ticking every second while something shows a countdown. */
export const clock = $state({ now: Date.now() });

let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/** Starts the clock for a component; call the returned function when it goes away. */
export function useClock(): () => void {
  users++;
  if (!timer) {
    clock.now = Date.now();
    timer = setInterval(() => {
      clock.now = Date.now();
    }, 1000);
  }
  return () => {
    users--;
    if (users === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}
