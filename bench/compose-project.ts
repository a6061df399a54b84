/** The project bench/compose.ts and bench/compose-trace.ts bring up. */

const loop = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait; done"]`;

/**
 * n services: s0 <- s1 <- s2 (a chain on `condition`, service_healthy unless told), volumes on every
 * fifth service, all on the default network.
 */
export function projectYaml(n: number, condition = 'service_healthy'): string {
  const out = ['services:'];
  const volumes: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(`  s${i}:`, '    image: busybox', `    command: ${loop}`);
    if (i < 3) out.push(`    healthcheck: {test: ["CMD", "true"], interval: 500ms, start_period: 0s}`);
    if (i === 1) out.push(`    depends_on: {s0: {condition: ${condition}}}`);
    if (i === 2) out.push(`    depends_on: {s1: {condition: ${condition}}}`);
    if (i % 5 === 0) {
      volumes.push(`v${i}`);
      out.push(`    volumes: ["v${i}:/data"]`);
    }
  }
  out.push('volumes:', ...volumes.map((v) => `  ${v}: {}`));
  return `${out.join('\n')}\n`;
}
