/** The platform this daemon runs on, in OCI/Go terms. */
/** Node's process.arch as an OCI/Go architecture name. */
export function goArch(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', mips: 'mips', mipsel: 'mipsle', loong64: 'loong64' };
  return map[arch] ?? arch;
}
