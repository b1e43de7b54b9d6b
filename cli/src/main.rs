//! The `chainplan` command-line tool. All logic lives in the library and in `cli/`.

mod cli;

/// Allocation failures end the tool with one `error:` line and status 2, not an abort.
#[global_allocator]
static ALLOCATOR: cli::alloc::Guard = cli::alloc::Guard;

fn main() {
    cli::exit(cli::main())
}
