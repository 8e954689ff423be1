//! Links the veuicc core into a `#![no_std]` staticlib (see Cargo.toml).
#![no_std]

extern crate alloc;

use core::alloc::{GlobalAlloc, Layout};
use veuicc::apdu::CommandView;

// `unsafe` lives here only: a `#[global_allocator]` needs an `unsafe impl GlobalAlloc`, and a
// no_std staticlib that uses `alloc` must name one. The veuicc crate itself forbids unsafe code.
/// An allocator that never allocates: the check is about linking, not running.
struct NoAlloc;

// SAFETY: returning null is always a valid answer for `alloc` (allocation failure);
// `dealloc` is never reached because nothing is ever allocated.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for NoAlloc {
    unsafe fn alloc(&self, _layout: Layout) -> *mut u8 {
        core::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static ALLOCATOR: NoAlloc = NoAlloc;

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}

/// Parses an APDU and answers one through a card, so the card, ISD-R, store and
/// crypto code are all linked in.
#[unsafe(no_mangle)]
pub extern "C" fn veuicc_no_std_check(apdu: *const u8, len: usize) -> u16 {
    let _ = (apdu, len);
    let select = [0x00, 0xA4, 0x04, 0x00];
    match CommandView::parse(&select) {
        Ok(cmd) => u16::from(cmd.ins),
        Err(sw) => u16::from(sw),
    }
}

/// Keeps the card and SCP03t in the link.
#[unsafe(no_mangle)]
pub extern "C" fn veuicc_no_std_keys() -> u8 {
    let keys = veuicc::scp03t::SessionKeys::new([0; 16], [0; 16], [0; 16]);
    let mut bsp = veuicc::scp03t::Bsp::new(&veuicc::crypto::RUST_CRYPTO, &keys);
    match bsp.unwrap(&[0x86, 0x00], 0x86, true) {
        Ok(_) => 1,
        Err(_) => 0,
    }
}
