//! nxcd
#![no_std]
