//! One integration binary: the store and services on real databases, and
//! the `duban` command line from outside.

mod cli;
mod helpers;
mod sim;
mod store;
