//! symindex
#![no_std]
