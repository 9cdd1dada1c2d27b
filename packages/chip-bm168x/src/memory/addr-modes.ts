// Which `--addr_mode` a processor can do, and `auto` (spec deploy.md §6.1 item 7). Upstream's
// ProcessorAssign turns `auto` into `basic`; BMAddressAssign then does io_alone on BM1684X (IO
// region first) and on tagged chips with an IO tag (BM1688 / CV186X), io_tag and io_tag_fuse only
// where the chip has IO tag addresses (BM1688.h's IO_ADDR[0..4]; io_tag_fuse asserts isBM1688,
// which includes CV186X), io_reloc everywhere. What upstream reaches only through an assert or
// llvm_unreachable (io_alone on BM1684 and BM1690, tags without IO tags) is refused here.
import { UserError, type TargetInfo } from '@tpu-quant/ir';
import type { AddrMode } from './plan.js';

export const ADDR_MODES: readonly AddrMode[] = ['basic', 'io_alone', 'io_tag', 'io_tag_fuse', 'io_reloc'];

/** The modes address assignment can do on `target`, in ADDR_MODES order. */
export function supportedAddrModes(target: TargetInfo): AddrMode[] {
  const ioTags = (target.gmem.tags?.io?.length ?? 0) > 0;
  const tagged = target.gmem.tags?.activation !== undefined;
  const ioAlone = ioTags || (!tagged && target.arch === 'BM1684X');
  return ADDR_MODES.filter((m) => {
    if (m === 'io_alone') return ioAlone;
    if (m === 'io_tag' || m === 'io_tag_fuse') return ioTags && target.gmem.tags!.io!.length >= (m === 'io_tag' ? 1 : 2);
    return true;
  });
}

/** `auto` → `basic` (as ProcessorAssign); a mode the chip cannot do → E_ADDR_MODE. */
export function resolveAddrMode(mode: string | undefined, target: TargetInfo): AddrMode {
  const m = (mode ?? 'auto').toLowerCase();
  if (m === 'auto') return 'basic';
  const ok = supportedAddrModes(target);
  if (!(ADDR_MODES as readonly string[]).includes(m)) {
    throw new UserError('E_ADDR_MODE', `unknown addr_mode "${mode}"`, `addr_mode is one of auto, ${ADDR_MODES.join(', ')}`);
  }
  if (!ok.includes(m as AddrMode)) {
    throw new UserError('E_ADDR_MODE', `addr_mode ${m} is not supported on ${target.name}`, `${target.name} can do: auto, ${ok.join(', ')}`);
  }
  return m as AddrMode;
}
