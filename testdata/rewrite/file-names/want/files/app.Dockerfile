FROM ubuntu:24.04
