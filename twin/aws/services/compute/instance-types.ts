/**
 * EC2 instance type sizes as the ECS agent registers them: CPU units (1024 per vCPU) and memory in MiB
 * after the agent's reservation. Known types use realistic registered figures; other well-formed type
 * names (`<family><gen>.<size>`) are derived from the family letter and size.
 */
export interface InstanceSize {
  vcpu: number;
  /** Memory the ECS agent registers (MiB). */
  memory: number;
}

const KNOWN: Record<string, InstanceSize> = {
  't3.micro': { vcpu: 2, memory: 944 },
  't3.small': { vcpu: 2, memory: 1932 },
  't3.medium': { vcpu: 2, memory: 3906 },
  't3.large': { vcpu: 2, memory: 7859 },
  't3.xlarge': { vcpu: 4, memory: 15786 },
  'm5.large': { vcpu: 2, memory: 7681 },
  'm5.xlarge': { vcpu: 4, memory: 15580 },
  'm5.2xlarge': { vcpu: 8, memory: 31451 },
  'm6i.large': { vcpu: 2, memory: 7681 },
  'm6i.xlarge': { vcpu: 4, memory: 15580 },
  'r5.large': { vcpu: 2, memory: 15705 },
  'r5.xlarge': { vcpu: 4, memory: 31421 },
  'r6i.large': { vcpu: 2, memory: 15705 },
  'r6i.xlarge': { vcpu: 4, memory: 31421 },
  'c5.large': { vcpu: 2, memory: 3704 },
  'c5.xlarge': { vcpu: 4, memory: 7542 },
};

const SIZES: Record<string, number> = {
  nano: 2,
  micro: 2,
  small: 2,
  medium: 2,
  large: 2,
  xlarge: 4,
  metal: 96,
};

const GIB_PER_VCPU: Record<string, number> = { c: 2, m: 4, r: 8, x: 16, z: 8, t: 2, i: 8, d: 8, g: 4, p: 8 };

/** The registered size of an instance type, or undefined if the name is not an instance type. */
export function instanceSize(type: string): InstanceSize | undefined {
  const known = KNOWN[type];
  if (known) return known;
  const m = /^([a-z]+)(\d+)([a-z-]*)\.(\d*)(nano|micro|small|medium|large|xlarge|metal)$/.exec(type);
  if (!m) return undefined;
  const family = (m[1] ?? 'm').charAt(0);
  const mult = m[4] ? Number(m[4]) : 1;
  const vcpu = m[5] === 'xlarge' ? 4 * mult : (SIZES[m[5] ?? 'large'] ?? 2);
  const gib = vcpu * (GIB_PER_VCPU[family] ?? 4);
  // The agent reserves a little memory for the OS and itself.
  return { vcpu, memory: Math.floor(gib * 1024 * 0.96) };
}
